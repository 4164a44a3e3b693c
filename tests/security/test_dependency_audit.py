"""scripts/audit_deps.py, the CI step of the dependency audit, against a stand-in for pip-audit:
fails on a known vulnerability, and never passes in silence when nothing could be checked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "audit_deps.py"


def _fake_pip_audit(tmp_path: Path, by_service: dict[str, object]) -> Path:
    """An executable that answers like pip-audit: a JSON report per service, or a crash."""
    fake = tmp_path / "pip-audit"
    fake.write_text(f"""#!{sys.executable}
import json, sys
answers = json.loads({json.dumps(json.dumps(by_service))})
service = sys.argv[sys.argv.index("--vulnerability-service") + 1]
answer = answers[service]
if answer is None:
    print("requests.exceptions.ConnectionError: no route to host", file=sys.stderr)
    sys.exit(1)
print(json.dumps(answer))
sys.exit(1 if any(d.get("vulns") for d in answer["dependencies"]) else 0)
""")
    fake.chmod(0o755)
    return fake


def _audit(tmp_path: Path, by_service: dict[str, object], **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "WORKBENCH_AUDIT_REQUIRED"}
    environment.update(PIP_AUDIT=str(_fake_pip_audit(tmp_path, by_service)), **env)
    return subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, env=environment,
                          timeout=60, check=False)  # fmt: skip


CLEAN = {"dependencies": [{"name": "pandas", "version": "3.1.1", "vulns": []},
                          {"name": "requests", "version": "2.34.2", "vulns": []}], "fixes": []}  # fmt: skip
VULNERABLE = {"dependencies": [{"name": "pandas", "version": "3.1.1", "vulns": []},
                               {"name": "jinja2", "version": "2.10", "vulns": [
                                   {"id": "PYSEC-2019-217", "fix_versions": ["2.10.1"], "description": "sandbox"}]}],
              "fixes": []}  # fmt: skip
UNKNOWN = {"dependencies": [{"name": "pandas", "skip_reason": "Dependency not found on PyPI and could not be audited"},
                            {"name": "torch", "skip_reason": "Dependency not found on PyPI and could not be audited"}],
           "fixes": []}  # fmt: skip


def test_a_clean_audit_passes_and_says_how_many_packages_it_checked(tmp_path):
    done = _audit(tmp_path, {"pypi": CLEAN, "osv": CLEAN})
    assert done.returncode == 0 and "2 packages checked, no known vulnerabilities" in done.stderr


def test_a_known_vulnerability_fails_the_audit_and_names_the_fix(tmp_path):
    done = _audit(tmp_path, {"pypi": VULNERABLE, "osv": CLEAN})
    assert done.returncode == 1
    assert "jinja2 2.10: PYSEC-2019-217 (fixed in: 2.10.1)" in done.stderr


def test_an_audit_that_reached_no_service_warns_loudly_instead_of_passing_silently(tmp_path):
    done = _audit(tmp_path, {"pypi": UNKNOWN, "osv": None})
    assert done.returncode == 0
    assert "WARNING: the dependency audit could NOT run" in done.stderr
    assert "no route to host" in done.stderr and "knows none of the 2 package versions" in done.stderr


def test_ci_can_require_the_audit_to_run(tmp_path):
    done = _audit(tmp_path, {"pypi": None, "osv": None}, WORKBENCH_AUDIT_REQUIRED="true")
    assert done.returncode == 2 and "could NOT run" in done.stderr


def test_osv_is_asked_when_pypi_knows_none_of_the_versions(tmp_path):
    done = _audit(tmp_path, {"pypi": UNKNOWN, "osv": VULNERABLE})
    assert done.returncode == 1 and "PYSEC-2019-217" in done.stderr


def test_the_test_script_runs_the_pinned_audit_and_fails_on_its_result():
    script = (ROOT / "scripts" / "test.sh").read_text()
    assert "scripts/audit_deps.py || AUDIT_STATUS=$?" in script and 'exit "$AUDIT_STATUS"' in script
    pins = (ROOT / "requirements-dev.txt").read_text().splitlines()
    assert any(line.startswith("pip-audit==") for line in pins)
