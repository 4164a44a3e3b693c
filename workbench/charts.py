"""Plotly figures as PNG images, rendered by kaleido in a local Chromium (for decks and reports).

kaleido 1.x drives an installed Chrome or Chromium through choreographer; it never ships
one. The browser is, in order: the path given (the ``WORKBENCH_BROWSER_PATH`` setting),
``BROWSER_PATH`` (choreographer's own variable), Debian's ``/usr/bin/chromium``, then the
first Chromium/Chrome on ``PATH``. Nothing is ever downloaded: with no browser the call fails
with a message saying what to install. MathJax is off (it would be fetched from a CDN), and
plotly.js comes from the installed plotly package, so rendering works offline.

All figures of one call share one browser start, which is most of the cost (1-4 s on two
shared cores); each image then takes a fraction of a second.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.errors import WorkbenchError

DEBIAN_CHROMIUM = Path("/usr/bin/chromium")
BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
RENDER_TIMEOUT_S = 90
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# Both narrate every browser start and temporary folder at INFO: noise in a command's output.
QUIET_LOGGERS = ("choreographer", "kaleido", "logistro")


class ChartExportError(WorkbenchError):
    """A chart could not be rendered as an image (no browser, or the browser failed)."""


@dataclass(frozen=True)
class ImageSize:
    width: int = 1000
    height: int = 500
    scale: float = 2.0  # sharp in a deck projected full screen


def find_browser(explicit: str | Path | None = None) -> Path:
    """The Chromium or Chrome executable to render with; a clear error when there is none."""
    candidates: list[tuple[str, str | Path]] = []
    if explicit:
        candidates.append(("WORKBENCH_BROWSER_PATH", explicit))
    if os.environ.get("BROWSER_PATH"):
        candidates.append(("BROWSER_PATH", os.environ["BROWSER_PATH"]))
    for origin, value in candidates:
        path = Path(value).expanduser()
        if path.is_file() and os.access(path, os.X_OK):
            return path
        raise ChartExportError(f"no browser executable at {str(path)!r} ({origin}); chart images need "
                               "Chromium or Chrome (Debian: apt-get install -y chromium)")  # fmt: skip
    if DEBIAN_CHROMIUM.is_file() and os.access(DEBIAN_CHROMIUM, os.X_OK):
        return DEBIAN_CHROMIUM
    for name in BROWSER_NAMES:
        found = shutil.which(name)
        if found:
            return Path(found)
    raise ChartExportError(
        "chart images need Chromium or Chrome and none was found: install Debian's chromium "
        "(apt-get install -y chromium) or set WORKBENCH_BROWSER_PATH to the browser executable"
    )


class ChartRenderer:
    """A browser kept open on a thread of its own: start it early, render figures, close it.

    The browser starts in the background as soon as the renderer is made, so a caller can
    read its data meanwhile (starting Chromium is most of the cost of a few charts). One
    renderer may serve several threads; their figures are rendered one after another.
    """

    def __init__(self, *, browser: str | Path | None = None, size: ImageSize = ImageSize()) -> None:
        self.path = find_browser(browser)
        self.size = size
        for name in QUIET_LOGGERS:
            logging.getLogger(name).setLevel(max(logging.getLogger(name).level, logging.WARNING))
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="chart-renderer", daemon=True)
        self._thread.start()
        self._kaleido = asyncio.run_coroutine_threadsafe(self._open(), self._loop)
        self._closed = False

    async def _open(self) -> Any:
        import kaleido

        # mathjax=False: kaleido would otherwise load MathJax from a CDN, which hangs offline.
        k = kaleido.Kaleido(n=1, path=str(self.path), mathjax=False, timeout=RENDER_TIMEOUT_S)
        await k.open()
        return k

    async def _render(self, k: Any, figures: Sequence[Any], size: ImageSize) -> list[bytes]:
        opts = {"format": "png", "width": size.width, "height": size.height, "scale": size.scale}
        return [bytes(await k.calc_fig(fig, opts=opts)) for fig in figures]

    def render(self, figures: Sequence[Any], size: ImageSize | None = None) -> list[bytes]:
        """PNG bytes of each plotly figure, in order."""
        if self._closed:
            raise ChartExportError("the chart renderer is closed")
        if not figures:
            return []
        try:
            with self._lock:
                k = self._kaleido.result(timeout=RENDER_TIMEOUT_S)
                future = asyncio.run_coroutine_threadsafe(self._render(k, figures, size or self.size), self._loop)
                images = future.result(timeout=RENDER_TIMEOUT_S * len(figures))
        except ChartExportError:
            raise
        except Exception as exc:
            raise ChartExportError(f"rendering charts with {self.path} failed: "
                                   f"{exc.__class__.__name__}: {exc}") from exc  # fmt: skip
        for i, image in enumerate(images):
            if not image.startswith(PNG_MAGIC):
                raise ChartExportError(f"chart {i + 1} did not render as a PNG image")
        return images

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            # Wait for a start still under way: cancelling it could orphan the browser process.
            k = self._kaleido.result(timeout=RENDER_TIMEOUT_S)
            asyncio.run_coroutine_threadsafe(k.close(), self._loop).result(timeout=30)
        except Exception:  # closing must never hide the error that brought us here
            pass
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=30)
            if not self._thread.is_alive():
                self._loop.close()

    def __enter__(self) -> ChartRenderer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def figures_to_png(figures: Sequence[Any], *, size: ImageSize = ImageSize(),
                   browser: str | Path | None = None) -> list[bytes]:  # fmt: skip
    """PNG bytes of each plotly figure, in order, from one browser session."""
    if not figures:
        return []
    with ChartRenderer(browser=browser, size=size) as renderer:
        return renderer.render(figures)
