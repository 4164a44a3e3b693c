"""Load: concurrent user sessions through Home, a screen, a precedent search and a summary.

The real app (`streamlit run`) on a store seeded with the default demo universe, with the
precedents index built beforehand by `workbench index` and the real embedding model, on
loopback. Each session:

1. opens Home and waits for its metric tiles;
2. goes to Targeting, ranks by DCM refinancing and runs the screen, waits for the ranked table;
3. goes to Precedents, describes a situation and searches, waits for the ranked precedents;
4. goes to Documents (which summarises the first document) and picks another document,
   waits for its cited summary.

Two drivers:

- `--driver websocket` (default): each user is a Streamlit session over the server's
  websocket (`bench/streamlit_ws.py`), sending the same script-run requests the browser's
  frontend sends, with the widget values a person would set. An action is timed from the
  request to the server's "script finished"; the result is checked in the elements sent
  (the ranked table, the precedents line, the summary's headings). This measures the
  server, not a browser sharing its two cores.
- `--driver browser`: one headless Debian Chromium with one browser context per user,
  timed from the click until the result is visible and the run finished
  (`data-test-script-state="notRunning"`). On one small machine the browsers take most of
  the CPU.

An error is an exception or error box in the app, a missing result, or an action not done
within --timeout. The server's resident memory (the streamlit processes and any children)
is sampled every 0.2 s.

One untimed warm-up session per app process runs first (each loads the model and the deal
index then), then a phase with one session, then one with --sessions sessions at once.

    .venv/bin/python bench/bench_load.py [--sessions 20] [--rounds 1] [--think 0]
        [--driver websocket|browser] [--servers 1] [--data-dir DIR] [--database-url URL]
        [--profile FILE]

--think makes each user of the many-session phase pause before every action (uniform
between 0 and twice the given seconds, not timed): 0, the default, is the worst case of
every user clicking at once.

--servers N starts N app processes on the same store and keeps each user on one of them,
as a load balancer with sticky sessions in front of N replicas would.

--data-dir keeps the seeded and indexed store between runs (seeded when it has no
database yet). --database-url runs on another store, PostgreSQL for a team; seed it first
(`workbench demo`); the index is brought up to date before the clock starts. --profile records the first server with py-spy (collapsed stacks) during
the many-session phase.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from bench_app_start import (
    CHROMIUM,
    CHROMIUM_ARGS,
    ROOT,
    VIEWPORT,
    app_env,
    free_port,
    seed,
    wait_healthy,
)
from playwright.async_api import Browser, Locator, Page, async_playwright
from streamlit_ws import Run, SessionError, StreamlitSession

ACTIONS = [
    "home",
    "open_targeting",
    "screen",
    "open_precedents",
    "precedents",
    "open_documents",
    "summary",
]
HEADLINE = {"home": "home", "screen": "screen", "precedents": "precedents", "summary": "summary"}
SITUATIONS = [
    "US software take-private by a sponsor",
    "carve-out of a European specialty-chemicals business by a sponsor, about $1bn",
    "investment-grade bond to refinance a maturity wall of a US utility",
    "follow-on equity offering by a healthcare company near its 52-week high",
]
RUN_DONE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
ERRORS_ON_PAGE = '[data-testid="stException"], [data-testid="stAlertContentError"]'
SAMPLE_EVERY_S = 0.2
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# --- the server's processes, from /proc -------------------------------------------------


def _parents() -> dict[int, int]:
    parents = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: fields start after the last ')'.
        parents[int(entry.name)] = int(stat[stat.rindex(")") + 2 :].split()[1])
    return parents


def process_tree(root: int) -> list[int]:
    children = defaultdict(list)
    for pid, ppid in _parents().items():
        children[ppid].append(pid)
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children[pid])
    return tree


def _rss_bytes(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_SIZE
    except (OSError, IndexError):
        return 0


def _cpu_s(pid: int) -> float:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2 :].split()
    # utime + stime, and cutime + cstime: a closed browser context's renderer has exited,
    # and its CPU time is then counted in the browser process that reaped it.
    return sum(int(f) for f in fields[11:15]) / CLOCK_TICKS


def cpu_seconds(pids: list[int]) -> float:
    return sum(_cpu_s(pid) for pid in pids)


class ServerWatch:
    """Samples the resident memory of the app processes' trees in a thread; keeps the peak."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def tree(self) -> list[int]:
        return [p for root in self.pids for p in process_tree(root)]

    def rss(self) -> int:
        return sum(_rss_bytes(pid) for pid in self.tree())

    def _run(self) -> None:
        while not self._stop.wait(SAMPLE_EVERY_S):
            self.peak = max(self.peak, self.rss())

    def reset(self) -> None:
        self.peak = self.rss()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


# --- one user in a browser context ------------------------------------------------------------


@dataclass
class Phase:
    name: str
    sessions: int
    seconds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    # Server CPU seconds per action; only meaningful with one session, where nothing else runs.
    server_cpu: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    wall_s: float = 0.0
    rss_peak: int = 0
    server_cpu_s: float = 0.0
    client_cpu_s: float = 0.0
    load: tuple[float, float, float] = (0.0, 0.0, 0.0)


class ActionFailed(Exception):
    pass


async def _settled(page: Page, timeout_ms: float) -> None:
    await page.locator(RUN_DONE).wait_for(timeout=timeout_ms)


async def _nav_link(page: Page, title: str) -> Locator:
    more = page.get_by_test_id("stSidebarNavViewButton")
    if await more.count() and "more" in ((await more.inner_text()) or "").lower():
        await more.click()  # long menus are folded behind "View more"
    # By accessible name: the link's text also holds the icon's ligature name.
    return page.get_by_test_id("stSidebarNav").get_by_role("link", name=title, exact=True)


async def _open(page: Page, title: str, timeout_ms: float) -> None:
    await (await _nav_link(page, title)).click()
    await (
        page.get_by_test_id("stMain")
        .locator("h1", has_text=title)
        .first.wait_for(timeout=timeout_ms)
    )
    await _settled(page, timeout_ms)


async def _check_page(page: Page, action: str) -> None:
    shown = page.locator(ERRORS_ON_PAGE)
    if await shown.count():
        text = (await shown.first.inner_text()).strip().splitlines()
        raise ActionFailed(f"{action}: error on the page: {text[0] if text else '(no text)'}")


async def _home(page: Page, url: str, t: float) -> None:
    await page.goto(url, timeout=t)
    await page.get_by_test_id("stMetricValue").first.wait_for(state="visible", timeout=t)
    await _settled(page, t)


async def _screen(page: Page, t: float) -> float:
    # Rank by a propensity score: the screen then computes and explains factor contributions.
    rank_by = page.get_by_test_id("stSelectbox").filter(
        has=page.get_by_test_id("stWidgetLabel").get_by_text("Rank by", exact=True)
    )
    if await rank_by.count():
        await rank_by.click()
        await page.get_by_role("option", name="DCM refinancing").click()
        await page.get_by_text("Factor weights").first.wait_for(timeout=t)
        await _settled(page, t)
    started = time.perf_counter()
    await page.get_by_role("button", name="Run screen").click()
    matched = page.get_by_test_id("stMetric").filter(has_text="Matched")
    await matched.first.wait_for(state="visible", timeout=t)
    await (
        page.get_by_test_id("stMain")
        .get_by_test_id("stDataFrame")
        .first.wait_for(state="visible", timeout=t)
    )
    await _settled(page, t)
    return time.perf_counter() - started


async def _precedents(page: Page, situation: str, t: float) -> float:
    await page.get_by_label("Describe the situation").fill(situation)
    started = time.perf_counter()
    await page.get_by_role("button", name="Find precedents").click()
    await page.get_by_text(re.compile(r"precedents from [\d,]+ deals")).first.wait_for(timeout=t)
    await (
        page.get_by_test_id("stMain")
        .get_by_test_id("stDataFrame")
        .first.wait_for(state="visible", timeout=t)
    )
    await _settled(page, t)
    return time.perf_counter() - started


async def _open_documents(page: Page, t: float) -> None:
    await _open(page, "Documents", t)
    # The page summarises the first document as it opens.
    await page.get_by_role("heading", name="Summary").first.wait_for(timeout=t)


# The summary's first sentence (the first expander of the Read tab) changes with the document.
FIRST_SENTENCE_CHANGED = """prev => {
  const e = document.querySelector('[data-testid="stMain"] [data-testid="stExpander"] summary');
  return e !== null && e.innerText !== prev;
}"""


async def _summary(page: Page, choice: int, t: float) -> float:
    picker = page.get_by_test_id("stSelectbox").filter(
        has=page.get_by_test_id("stWidgetLabel").get_by_text("Document", exact=True)
    )
    first = page.get_by_test_id("stMain").get_by_test_id("stExpander").locator("summary").first
    before = await first.inner_text()
    await picker.click()
    option = page.get_by_role("option").nth(choice)
    started = time.perf_counter()
    await option.click()
    # Not the count of finished runs: a run that ends within one frame (a stored summary)
    # may never show the "running" state that the count watches for.
    await page.wait_for_function(FIRST_SENTENCE_CHANGED, arg=before, timeout=t)
    await _settled(page, t)
    await page.get_by_role("heading", name="Key figures").first.wait_for(timeout=t)
    return time.perf_counter() - started


class Timer:
    """Times one user's actions into a phase: think time first (not timed), errors counted."""

    def __init__(self, phase: Phase, number: int, watch: ServerWatch, think_s: float) -> None:
        self.phase, self.number, self.watch, self.think_s = phase, number, watch, think_s
        self.pauses = random.Random(number)

    async def __call__(self, action: str, step, check=None) -> bool:
        phase = self.phase
        if self.think_s > 0:  # a person reads between clicks: on average think_s, not timed
            await asyncio.sleep(self.pauses.uniform(0, 2 * self.think_s))
        cpu = cpu_seconds(self.watch.tree()) if phase.sessions == 1 else 0.0
        started = time.perf_counter()
        try:
            measured = await step
            if check is not None:
                await check(action)
        except Exception as exc:  # noqa: BLE001 - a timeout or an error on the page: counted
            first = (str(exc).strip().splitlines() or [exc.__class__.__name__])[0]
            phase.errors.append(f"session {self.number}: {action}: {first[:200]}")
            return False
        phase.seconds[action].append(
            measured if isinstance(measured, float) else time.perf_counter() - started
        )
        if phase.sessions == 1:
            phase.server_cpu[action].append(cpu_seconds(self.watch.tree()) - cpu)
        return True


async def browser_user(
    browser: Browser, url: str, number: int, rounds: int, timeout_s: float, timed: Timer
) -> None:
    t = timeout_s * 1000
    context = await browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(t)  # clicks wait for a busy page as long as results do
    page = await context.new_page()

    async def check(action: str) -> None:
        await _check_page(page, action)

    try:
        for r in range(rounds):
            # A fresh page load is a fresh Streamlit session: nothing carries over between rounds.
            if not await timed("home", _home(page, url, t), check):
                continue
            if await timed("open_targeting", _open(page, "Targeting", t), check):
                await timed("screen", _screen(page, t), check)
            if await timed("open_precedents", _open(page, "Precedents", t), check):
                situation = SITUATIONS[(number + r) % len(SITUATIONS)]
                await timed("precedents", _precedents(page, situation, t), check)
            if await timed("open_documents", _open_documents(page, t), check):
                await timed("summary", _summary(page, 1 + (number + r) % 6, t), check)
    finally:
        await context.close()


# --- one user over the websocket --------------------------------------------------------


def _expect(run: Run, what: str, found: bool) -> None:
    if not found:
        raise SessionError(f"{what} not shown (status {run.status})")


async def _ws_home(s: StreamlitSession) -> None:
    run = await s.open()
    _expect(run, "Home's metric tiles", bool(run.of_kind("metric")))


async def _ws_screen(s: StreamlitSession) -> float:
    # Rank by a propensity score: the screen then computes and explains factor contributions.
    await s.choose("Rank by", "DCM refinancing")
    run = await s.click("Run screen")
    _expect(run, "the ranked table", bool(run.of_kind("dataframe")))
    _expect(run, "the 'Matched' tile", any(m.label == "Matched" for m in run.of_kind("metric")))
    return run.seconds


async def _ws_precedents(s: StreamlitSession, situation: str) -> float:
    s.set("text_area", "Describe the situation", situation)
    run = await s.click("Find precedents")
    _expect(run, "the ranked precedents", bool(re.search(r"precedents from [\d,]+ deals", run.texts())))
    _expect(run, "the precedents table", bool(run.of_kind("dataframe")))
    return run.seconds


async def _ws_open_documents(s: StreamlitSession) -> None:
    run = await s.open("Documents")  # the page summarises the first document as it opens
    _expect(run, "the first document's summary", "Summary" in run.texts())


async def _ws_summary(s: StreamlitSession, choice: int) -> float:
    run = await s.choose("Document", choice)
    _expect(run, "the cited summary", "Key figures" in run.texts())
    return run.seconds


async def _ws_open(s: StreamlitSession, page: str) -> None:
    run = await s.open(page)
    _expect(run, f"the {page} page", any(h.proto.body == page for h in run.of_kind("heading")))


async def websocket_user(url: str, number: int, rounds: int, timeout_s: float, timed: Timer) -> None:
    for r in range(rounds):
        # A new connection is a fresh Streamlit session, as a new browser tab would be.
        async with StreamlitSession(url, timeout_s=timeout_s) as s:
            if not await timed("home", _ws_home(s)):
                continue
            if await timed("open_targeting", _ws_open(s, "Targeting")):
                await timed("screen", _ws_screen(s))
            if await timed("open_precedents", _ws_open(s, "Precedents")):
                await timed("precedents", _ws_precedents(s, SITUATIONS[(number + r) % len(SITUATIONS)]))
            if await timed("open_documents", _ws_open_documents(s)):
                await timed("summary", _ws_summary(s, 1 + (number + r) % 6))


async def run_phase(
    user,
    urls: list[str],
    phase: Phase,
    watch: ServerWatch,
    client_cpu,
    think_s: float = 0.0,
) -> Phase:
    """Runs phase.sessions users at once; user i talks to urls[i % len(urls)] throughout,
    as a sticky load balancer in front of several app processes would send it."""
    server_cpu, client = cpu_seconds(watch.tree()), client_cpu()
    watch.reset()
    started = time.perf_counter()
    await asyncio.gather(
        *(
            user(urls[i % len(urls)], i, Timer(phase, i, watch, think_s))
            for i in range(phase.sessions)
        )
    )
    phase.wall_s = time.perf_counter() - started
    phase.rss_peak = watch.peak
    phase.server_cpu_s = cpu_seconds(watch.tree()) - server_cpu
    phase.client_cpu_s = client_cpu() - client
    phase.load = os.getloadavg()
    return phase


# --- report -----------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def report(phase: Phase) -> None:
    print(
        f"\n{phase.name}: {phase.sessions} session(s), {phase.wall_s:.1f} s wall, "
        f"server CPU {phase.server_cpu_s:.1f} s, client CPU {phase.client_cpu_s:.1f} s, "
        f"server RSS peak {phase.rss_peak / 2**20:.0f} MB, "
        f"load average {phase.load[0]:.2f} {phase.load[1]:.2f} {phase.load[2]:.2f}",
        file=sys.stderr,
    )
    cpu_column = phase.sessions == 1
    print(
        f"  {'action':<16}{'n':>4}{'p50 s':>9}{'p95 s':>9}{'max s':>9}{'errors':>8}"
        + (f"{'server CPU s':>14}" if cpu_column else ""),
        file=sys.stderr,
    )
    for action in ACTIONS:
        values = phase.seconds.get(action, [])
        failed = sum(f": {action}: " in e for e in phase.errors)
        cpu = f"{pct(phase.server_cpu.get(action, []), 50):>14.2f}" if cpu_column else ""
        print(
            f"  {action:<16}{len(values):>4}{pct(values, 50):>9.2f}{pct(values, 95):>9.2f}"
            f"{max(values, default=float('nan')):>9.2f}{failed:>8}{cpu}",
            file=sys.stderr,
        )
    for error in phase.errors[:20]:
        print(f"  error: {error}", file=sys.stderr)


# --- the app ----------------------------------------------------------------------------


def prepare_store(env: dict[str, str], data_dir: Path) -> None:
    if not any(data_dir.glob("*.db")) and not env.get("WORKBENCH_DATABASE_URL"):
        seed(env)
    # The first precedent search on a fresh store embeds every deal: do it before the clock.
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "workbench.cli", "index"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    print(
        f"precedents index up to date in {time.perf_counter() - started:.1f} s (not timed)",
        file=sys.stderr,
    )


def start_app(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:
        return subprocess.Popen(
            [
                *(sys.executable, "-m", "streamlit", "run", "streamlit_app.py"),
                *("--server.headless", "true", "--server.address", "127.0.0.1"),
                *("--server.port", str(port), "--browser.gatherUsageStats", "false"),
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def start_profiler(pid: int, out: Path) -> subprocess.Popen[bytes] | None:
    py_spy = shutil.which("py-spy")
    if py_spy is None:
        print("py-spy not on PATH: no profile (pip install py-spy)", file=sys.stderr)
        return None
    return subprocess.Popen([py_spy, "record", "--pid", str(pid), "--format", "raw", "--rate", "50",
                             "--nonblocking", "--output", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip


def stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    proc.send_signal(sig)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


async def bench(args: argparse.Namespace, data_dir: Path) -> list[Phase]:
    env = app_env(data_dir)
    if args.database_url:
        env["WORKBENCH_DATABASE_URL"] = args.database_url
    prepare_store(env, data_dir)
    apps: list[subprocess.Popen[bytes]] = []
    urls: list[str] = []
    logs: list[Path] = []
    watch: ServerWatch | None = None
    phases: list[Phase] = []
    try:
        for n in range(args.servers):
            port = free_port()
            logs.append(data_dir / f"streamlit-load-{n}.log")
            apps.append(start_app(env, port, logs[-1]))
            urls.append(f"http://127.0.0.1:{port}")
        for app, url in zip(apps, urls):
            wait_healthy(url, app, time.perf_counter())
        watch = ServerWatch([app.pid for app in apps])
        server = set(watch.tree())

        def client_cpu() -> float:
            if args.driver == "websocket":  # the sessions run in this process
                return time.process_time()
            # the browser: this process's children other than the app
            mine = process_tree(os.getpid())
            return cpu_seconds([p for p in mine if p not in server and p != os.getpid()])

        async with async_playwright() as pw:
            browser: Browser | None = None
            if args.driver == "browser":
                browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

            async def user(url: str, number: int, timed: Timer) -> None:
                if browser is not None:
                    await browser_user(browser, url, number, args.rounds, args.timeout, timed)
                else:
                    await websocket_user(url, number, args.rounds, args.timeout, timed)

            # Every app process loads the model and the deal index on its first session.
            warm = Phase("warm-up (model and deal index load)", len(urls))
            report(await run_phase(user, urls, warm, watch, client_cpu))
            one = Phase("one session", 1)
            phases.append(await run_phase(user, urls, one, watch, client_cpu))
            report(one)
            profiler = start_profiler(apps[0].pid, args.profile) if args.profile else None
            try:
                many = Phase("concurrent sessions", args.sessions)
                await run_phase(user, urls, many, watch, client_cpu, args.think)
                phases.append(many)
            finally:
                if profiler is not None:
                    stop(profiler, signal.SIGINT)
                    print(f"py-spy profile of the server: {args.profile}", file=sys.stderr)
            report(phases[-1])
            if browser is not None:
                await browser.close()
    finally:
        if watch is not None:
            watch.stop()
        for app in apps:
            stop(app)
    for log in logs:
        tracebacks = log.read_text(errors="replace").count("Traceback")
        if tracebacks:
            print(f"{tracebacks} traceback(s) in the server log {log}", file=sys.stderr)
    return phases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20, help="concurrent user sessions")
    parser.add_argument(
        "--rounds", type=int, default=1, help="times each session goes through the four actions"
    )
    parser.add_argument(
        "--data-dir", type=Path, default=None, help="reuse this store (seeded when empty)"
    )
    parser.add_argument(
        "--database-url",
        default=None,
        help="run on this store (e.g. PostgreSQL) instead of SQLite in the data folder; "
        "seed it first with `workbench demo`",
    )
    parser.add_argument(
        "--timeout", type=float, default=180.0, help="seconds before an action counts as failed"
    )
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="mean seconds a user pauses before each action in the many-session phase "
        "(uniform in 0..2x; 0: every action at once, the worst case)",
    )
    parser.add_argument(
        "--profile", type=Path, default=None, help="py-spy collapsed stacks of the (first) server"
    )
    parser.add_argument(
        "--driver",
        choices=["websocket", "browser"],
        default="websocket",
        help="websocket: Streamlit sessions over its websocket, the server measured alone "
        "(default); browser: one headless Chromium context per user on the same machine",
    )
    parser.add_argument(
        "--servers",
        type=int,
        default=1,
        help="app processes sharing the store, users spread over them and kept on theirs "
        "(sticky sessions, as replicas behind a load balancer)",
    )
    args = parser.parse_args()
    if args.sessions < 1 or args.rounds < 1 or args.think < 0 or args.servers < 1:
        parser.error("--sessions, --rounds and --servers must be at least 1, --think at least 0")
    if args.driver == "browser" and not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} not found: apt-get install -y chromium")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", file=sys.stderr)
    if args.data_dir is not None:
        args.data_dir.mkdir(parents=True, exist_ok=True)
        phases = asyncio.run(bench(args, args.data_dir.resolve()))
    else:
        with tempfile.TemporaryDirectory(prefix="wb-load-") as tmp:
            phases = asyncio.run(bench(args, Path(tmp)))
    many = phases[-1]
    figures = [f"sessions: {many.sessions}", f"servers: {args.servers}"]
    if args.think:
        figures.append(f"think: {args.think:g} s")
    every = [v for values in many.seconds.values() for v in values]
    figures += [f"all_actions_p50: {pct(every, 50):.2f} s", f"all_actions_p95: {pct(every, 95):.2f} s"]
    figures += [
        f"{name}_p95: {pct(many.seconds.get(action, []), 95):.2f} s"
        for action, name in HEADLINE.items()
    ]
    figures += [f"errors: {len(many.errors)}", f"server_rss_peak: {many.rss_peak / 2**20:.0f} MB"]
    print(", ".join(figures))


if __name__ == "__main__":
    main()
