"""Progress reporting shared by long jobs, the CLI (rich) and the app (st.progress)."""

from __future__ import annotations

from collections.abc import Callable

# fraction done in [0, 1], and a short sentence saying what is happening
ProgressCallback = Callable[[float, str], None]


def no_progress(_fraction: float, _message: str) -> None:
    return None
