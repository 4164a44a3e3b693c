"""The load benchmark's websocket user against the real server: the four actions it times.

bench/bench_load.py drives 20 of these at once; this keeps its client honest (a change
of page, label or protocol fails here rather than in a benchmark nobody is watching).
"""

from __future__ import annotations

import asyncio
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from bench_load import (  # noqa: E402
    SITUATIONS,
    _ws_home,
    _ws_open,
    _ws_open_documents,
    _ws_precedents,
    _ws_screen,
    _ws_summary,
)
from streamlit_ws import SessionError, StreamlitSession  # noqa: E402


def _run(coroutine):
    """asyncio.run in a thread of its own: Playwright's sync tests in the same worker leave
    an event loop running in this one."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def test_one_user_goes_through_home_screen_precedents_and_a_summary(app_url: str) -> None:
    async def session() -> dict[str, float]:
        async with StreamlitSession(app_url, timeout_s=120) as s:
            await _ws_home(s)
            assert {"Home", "Targeting", "Precedents", "Documents"} <= set(s.pages)
            await _ws_open(s, "Targeting")
            screen = await _ws_screen(s)
            ranked = s.last.of_kind("dataframe")
            await _ws_open(s, "Precedents")
            precedents = await _ws_precedents(s, SITUATIONS[0])
            await _ws_open_documents(s)
            first = s.last.texts()
            summary = await _ws_summary(s, 1)
            # Another document's summary, with its sentences in their context.
            assert s.last.texts() != first
            assert "<mark>" in s.last.texts()
            return {"screen": screen, "precedents": precedents, "summary": summary, "rows": len(ranked)}

    figures = _run(session())
    assert figures["rows"] >= 1
    assert all(figures[k] > 0 for k in ("screen", "precedents", "summary"))


def test_a_missing_page_or_widget_is_an_error_not_a_silent_pass(app_url: str) -> None:
    async def session() -> None:
        async with StreamlitSession(app_url, timeout_s=60) as s:
            await _ws_home(s)
            with pytest.raises(SessionError, match="no page 'Nowhere'"):
                await s.open("Nowhere")
            with pytest.raises(SessionError, match="no button labelled 'Launch'"):
                await s.click("Launch")

    _run(session())
