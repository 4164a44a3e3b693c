"""The real app under `streamlit run`, on a seeded store, driven by Debian's Chromium.

Never `playwright install`: it downloads a browser and fails offline. The tests skip with a
message when /usr/bin/chromium is absent (scripts/test.sh installs it with apt).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
HEALTH_TIMEOUT_S = 60
CHROMIUM_ARGS = [
    "--no-sandbox",  # tests often run as root in a container, where the sandbox cannot start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",  # offline: no update checks or field trials
    "--disable-component-update",
    "--disable-sync",
]
DEMO_ARGS = ["--companies", "60", "--deals", "120", "--documents", "6", "--price-years", "1"]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not CHROMIUM.exists():
        pytest.skip(
            f"{CHROMIUM} not found: install Debian's Chromium (apt-get install -y chromium)"
        )
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": {"width": 1400, "height": 900}}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def app_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKBENCH_")}
    env.update(
        WORKBENCH_DATA_DIR=str(data_dir),
        WORKBENCH_DEMO_ON_EMPTY="false",
        WORKBENCH_USER="e2e",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
    )
    return env


def wait_healthy(
    url: str, proc: subprocess.Popen[bytes], timeout: float = HEALTH_TIMEOUT_S
) -> float:
    """Seconds until /_stcore/health answers ok; raises when the app dies or never answers."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if proc.poll() is not None:
            raise RuntimeError(
                f"streamlit exited with code {proc.returncode} before it was healthy"
            )
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().decode().strip() == "ok":
                    return time.perf_counter() - started
        except OSError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url}/_stcore/health did not answer ok within {timeout:.0f} s")


def start_app(env: dict[str, str], port: int, log_path: Path) -> subprocess.Popen[bytes]:
    with open(log_path, "wb") as log:
        return subprocess.Popen(
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
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def stop_app(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="session")
def seeded_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder whose store holds a small demo universe."""
    data_dir = tmp_path_factory.mktemp("e2e-data")
    seeded = subprocess.run(
        [sys.executable, "-m", "workbench.cli", "demo", *DEMO_ARGS],
        cwd=ROOT,
        env=app_env(data_dir),
        capture_output=True,
        text=True,
    )
    assert seeded.returncode == 0, f"workbench demo failed:\n{seeded.stdout}\n{seeded.stderr}"
    return data_dir


@contextmanager
def running_app(data_dir: Path, log_name: str = "streamlit.log") -> Iterator[str]:
    """A fresh `streamlit run` of the app on ``data_dir``; yields its URL once healthy."""
    port = free_port()
    log_path = data_dir / log_name
    proc = start_app(app_env(data_dir), port, log_path)
    url = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_healthy(url, proc)
        except Exception:
            pytest.fail(f"the app did not start:\n{log_path.read_text(errors='replace')[-3000:]}")
        yield url
    finally:
        stop_app(proc)


@pytest.fixture(scope="session")
def app_url(seeded_data_dir: Path) -> Iterator[str]:
    """URL of the app running on a store seeded with a small demo universe.

    Browser tests skip without Chromium (browser_type_launch_args); the websocket tests
    need only the server.
    """
    with running_app(seeded_data_dir) as url:
        yield url


@pytest.fixture
def fresh_app_url(seeded_data_dir: Path) -> Iterator[str]:
    """URL of a new app process on the same store that no one has visited yet."""
    with running_app(seeded_data_dir, "fresh-streamlit.log") as url:
        yield url


@pytest.fixture(scope="session")
def screenshots_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
