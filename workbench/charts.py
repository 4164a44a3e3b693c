"""Plotly figures as PNG images, rendered by kaleido in a local Chromium (for decks and reports).

kaleido 1.x drives an installed Chrome or Chromium through choreographer; it never ships
one. The browser is, in order: the path given (the ``WORKBENCH_BROWSER_PATH`` setting),
``BROWSER_PATH`` (choreographer's own variable), Debian's ``/usr/bin/chromium``, then the
first Chromium/Chrome on ``PATH``. Nothing is ever downloaded: with no browser the call fails
with a message saying what to install. MathJax is off (it would be fetched from a CDN), and
plotly.js comes from the installed plotly package, so rendering works offline.

All figures of one call share one browser start, which is most of the cost (1-4 s on two
shared cores); each image then takes a fraction of a second.

kaleido and Chromium now and then hang with no error (a start that never reports the page
loaded, a render that never returns; known upstream, seen here on a loaded machine). So a
start is bounded and tried again with a new browser, and a render that hangs restarts the
browser once: a pack costs a few seconds more instead of never finishing.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
import subprocess
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.errors import WorkbenchError

DEBIAN_CHROMIUM = Path("/usr/bin/chromium")
BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
# Chromium starts in 1-10 s on two busy cores; a start still not ready after this is hung.
START_TIMEOUT_S = 45
START_ATTEMPTS = 3
RENDER_TIMEOUT_S = 60  # per figure; one renders in well under a second
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# Both narrate every browser start and temporary folder at INFO: noise in a command's output.
QUIET_LOGGERS = ("choreographer", "kaleido", "logistro")


logger = logging.getLogger(__name__)


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
        self._closed = False
        self._start()

    def _start(self) -> None:
        self._kaleido = asyncio.run_coroutine_threadsafe(self._open(), self._loop)

    async def _open(self) -> Any:
        failures = []
        for attempt in range(1, START_ATTEMPTS + 1):
            k = new_kaleido(self.path)
            try:
                await asyncio.wait_for(k.open(), START_TIMEOUT_S)
                return k
            except Exception as exc:
                reason = "no answer" if isinstance(exc, TimeoutError) else f"{exc.__class__.__name__}: {exc}"
                failures.append(f"try {attempt}: {reason}")
                logger.warning("Chromium start %d of %d failed (%s)", attempt, START_ATTEMPTS, reason)
                await _discard(k)
        raise ChartExportError(f"the browser {self.path} did not start for the chart images "
                               f"({START_ATTEMPTS} tries of {START_TIMEOUT_S} s: {'; '.join(failures)})")  # fmt: skip

    async def _render(self, k: Any, figures: Sequence[Any], size: ImageSize) -> list[bytes]:
        opts = {"format": "png", "width": size.width, "height": size.height, "scale": size.scale}
        return [bytes(await k.calc_fig(fig, opts=opts)) for fig in figures]

    def _started(self) -> Any:
        """The open browser, once its start (bounded in ``_open``) is over."""
        return self._kaleido.result(timeout=START_TIMEOUT_S * START_ATTEMPTS + 30)

    def _render_once(self, figures: Sequence[Any], size: ImageSize) -> list[bytes]:
        k = self._started()
        future = asyncio.run_coroutine_threadsafe(self._render(k, figures, size), self._loop)
        try:
            return future.result(timeout=RENDER_TIMEOUT_S * len(figures))
        except TimeoutError:
            future.cancel()
            raise

    def _restart(self) -> None:
        old = self._kaleido
        if old.done() and old.exception() is None:
            asyncio.run_coroutine_threadsafe(_discard(old.result()), self._loop).result(timeout=60)
        self._start()

    def render(self, figures: Sequence[Any], size: ImageSize | None = None) -> list[bytes]:
        """PNG bytes of each plotly figure, in order."""
        if self._closed:
            raise ChartExportError("the chart renderer is closed")
        if not figures:
            return []
        size = size or self.size
        try:
            with self._lock:
                try:
                    images = self._render_once(figures, size)
                except TimeoutError:
                    logger.warning("rendering %d chart(s) hung: restarting the browser once", len(figures))
                    self._restart()
                    images = self._render_once(figures, size)
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
            k = self._started()
            asyncio.run_coroutine_threadsafe(_discard(k), self._loop).result(timeout=60)
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


def new_kaleido(path: Path) -> Any:
    import kaleido

    # mathjax=False: kaleido would otherwise load MathJax from a CDN, which hangs offline.
    return kaleido.Kaleido(n=1, path=str(path), mathjax=False, timeout=RENDER_TIMEOUT_S)


async def _discard(k: Any) -> None:
    """Close a browser; kill its process group when it does not close in time."""
    try:
        await asyncio.wait_for(k.close(), 15)
    except Exception:  # a hung browser may not close: it is killed below
        pass
    process = getattr(k, "subprocess", None)
    if process is not None and process.poll() is None:
        try:  # choreographer starts the browser in a session of its own: kill all of it
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            pass


def figures_to_png(figures: Sequence[Any], *, size: ImageSize = ImageSize(),
                   browser: str | Path | None = None) -> list[bytes]:  # fmt: skip
    """PNG bytes of each plotly figure, in order, from one browser session."""
    if not figures:
        return []
    with ChartRenderer(browser=browser, size=size) as renderer:
        return renderer.render(figures)
