"""Cold start of the app: process start to healthy, and to Home's metrics in headless Chromium.

A store with the default demo universe is seeded first (not timed). Then, three times, a
fresh `streamlit run` process is started and timed until /_stcore/health answers ok and
until the Home page, opened in Debian's Chromium, shows its metric tiles. The browser is
launched before the clock starts: its own start-up is not the app's.

    .venv/bin/python bench/bench_app_start.py [--runs 3] [--screenshot docs/screenshot.png]

With --screenshot, a 1400x900 picture of Home on the demo data is saved as well.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1400, "height": 900}
TIMEOUT_S = 120


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def app_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKBENCH_")}
    env.update(
        WORKBENCH_DATA_DIR=str(data_dir),
        WORKBENCH_DEMO_ON_EMPTY="false",
        WORKBENCH_USER="analyst",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
    )
    return env


def seed(env: dict[str, str]) -> None:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "workbench.cli", "demo"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    print(
        f"seeded the default demo universe in {time.perf_counter() - started:.1f} s (not timed)",
        file=sys.stderr,
    )


def wait_healthy(url: str, proc: subprocess.Popen[bytes], started: float) -> float:
    while time.perf_counter() - started < TIMEOUT_S:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().decode().strip() == "ok":
                    return time.perf_counter() - started
        except OSError:
            pass
        time.sleep(0.02)
    raise TimeoutError(f"{url} was not healthy within {TIMEOUT_S} s")


def one_run(
    browser: Browser, env: dict[str, str], screenshot: Path | None = None
) -> tuple[float, float]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    started = time.perf_counter()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "streamlit_app.py",
            "--server.headless",
            "true",
            "--server.address",
            "127.0.0.1",
            "--server.port",
            str(port),
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        health_s = wait_healthy(url, proc, started)
        page.goto(url)
        page.get_by_test_id("stMetricValue").first.wait_for(
            state="visible", timeout=TIMEOUT_S * 1000
        )
        first_page_s = time.perf_counter() - started
        if screenshot is not None:
            page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for()
            page.get_by_test_id("stPlotlyChart").last.wait_for(state="visible")
            page.wait_for_timeout(1500)  # plotly animates its first draw
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot))
            print(f"saved {screenshot}", file=sys.stderr)
        return health_s, first_page_s
    finally:
        context.close()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--screenshot", type=Path, default=None, help="also save Home as a PNG here"
    )
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} not found: apt-get install -y chromium")
    with tempfile.TemporaryDirectory(prefix="wb-app-start-") as tmp:
        env = app_env(Path(tmp))
        seed(env)
        health, first_page = [], []
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for i in range(args.runs):
                h, f = one_run(browser, env)
                health.append(h)
                first_page.append(f)
                print(f"run {i + 1}: health {h:.2f} s, first page {f:.2f} s", file=sys.stderr)
            if args.screenshot is not None:
                one_run(browser, env, screenshot=args.screenshot.resolve())
            browser.close()
    health_s, first_page_s = statistics.median(health), statistics.median(first_page)
    print(f"app_health_s: {health_s:.1f} s, app_first_page_s: {first_page_s:.1f} s")


if __name__ == "__main__":
    main()
