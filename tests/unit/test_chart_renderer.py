"""The chart renderer survives a browser that hangs: kaleido's start and renders are bounded,
a hung start is tried again with a new browser, a hung render restarts the browser once, and
a browser that never starts is a clear error in bounded time. kaleido is replaced by a fake
whose browser hangs on cue, so these run without Chromium."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from workbench import charts
from workbench.charts import PNG_MAGIC, ChartExportError, ChartRenderer


class FakeKaleido:
    """One fake browser: ``hang_open``/``hang_render`` make that step never finish."""

    def __init__(self, *, hang_open: bool, hang_render: bool) -> None:
        self.hang_open, self.hang_render = hang_open, hang_render
        self.opened = self.closed = False
        self.rendered = 0
        self.subprocess = None

    async def open(self) -> None:
        if self.hang_open:
            await asyncio.sleep(3600)
        self.opened = True

    async def calc_fig(self, fig: object, opts: dict) -> bytes:
        if self.hang_render:
            await asyncio.sleep(3600)
        self.rendered += 1
        return PNG_MAGIC + repr(fig).encode()

    async def close(self) -> None:
        self.closed = True


@pytest.fixture
def browsers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Plan the fake browsers' behaviour: a list of (hang_open, hang_render), one per start."""
    exe = tmp_path / "chromium"
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    plan: list[tuple[bool, bool]] = []
    made: list[FakeKaleido] = []

    def new_kaleido(path: Path) -> FakeKaleido:
        hang_open, hang_render = plan.pop(0) if plan else (False, False)
        made.append(FakeKaleido(hang_open=hang_open, hang_render=hang_render))
        return made[-1]

    monkeypatch.setattr(charts, "new_kaleido", new_kaleido)
    monkeypatch.setattr(charts, "START_TIMEOUT_S", 0.2)
    monkeypatch.setattr(charts, "RENDER_TIMEOUT_S", 0.3)
    return exe, plan, made


def test_a_browser_start_that_hangs_is_tried_again_with_a_new_browser(browsers):
    exe, plan, made = browsers
    plan += [(True, False), (False, False)]
    with ChartRenderer(browser=exe) as renderer:
        images = renderer.render(["fig-a", "fig-b"])
    assert [i.startswith(PNG_MAGIC) for i in images] == [True, True]
    assert len(made) == 2 and made[0].closed and not made[0].opened
    assert made[1].rendered == 2 and made[1].closed


def test_a_render_that_hangs_restarts_the_browser_once(browsers):
    exe, plan, made = browsers
    plan += [(False, True), (False, False)]
    with ChartRenderer(browser=exe) as renderer:
        assert renderer.render(["fig"])[0] == PNG_MAGIC + b"'fig'"
        assert renderer.render(["again"])[0].startswith(PNG_MAGIC)  # the new browser keeps serving
    assert len(made) == 2 and made[0].closed and made[0].rendered == 0 and made[1].rendered == 2


def test_a_render_that_hangs_twice_is_a_clear_error(browsers):
    exe, plan, made = browsers
    plan += [(False, True), (False, True)]
    with ChartRenderer(browser=exe) as renderer, pytest.raises(ChartExportError, match="rendering charts with .*failed"):
        renderer.render(["fig"])
    assert len(made) == 2 and all(k.closed for k in made)


def test_a_browser_that_never_starts_fails_in_bounded_time_saying_why(browsers):
    exe, plan, made = browsers
    plan += [(True, False)] * charts.START_ATTEMPTS
    t0 = time.perf_counter()
    with ChartRenderer(browser=exe) as renderer, pytest.raises(ChartExportError, match=r"did not start .*3 tries.*no answer"):
        renderer.render(["fig"])
    assert time.perf_counter() - t0 < 5
    assert len(made) == charts.START_ATTEMPTS and all(k.closed for k in made)
