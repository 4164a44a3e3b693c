"""Audit the pinned dependencies for known vulnerabilities with pip-audit; called by test.sh.

Two passes: the pins of requirements.txt as written (so torch is looked up as 2.13.0, not
as the local build 2.13.0+cpu), then every package installed in the virtualenv (the
dependencies of the dependencies). The PyPI advisory service is asked first, OSV when PyPI
could check nothing.

Exit status: 1 when any package has a known vulnerability (each is listed with its fixed
versions); 0 otherwise. When the audit could not run (no network, or a package index that
does not know these versions) it says so loudly on stderr instead of passing in silence;
with WORKBENCH_AUDIT_REQUIRED=true that is an error too (exit 2). WORKBENCH_AUDIT_IGNORE
takes a comma-separated list of advisory ids accepted after review.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("pypi", "osv")
TIMEOUT_S = 300


@dataclass
class Audit:
    checked: set[str] = field(default_factory=set)
    unchecked: dict[str, str] = field(default_factory=dict)  # package -> why
    vulnerable: dict[str, list[str]] = field(default_factory=dict)  # "pkg version" -> advisories
    failures: list[str] = field(default_factory=list)  # passes that could not run at all


def _run(pip_audit: str, args: list[str], service: str, ignore: list[str]) -> dict | str:
    """pip-audit's JSON report, or why there is none."""
    command = [pip_audit, *args, "--vulnerability-service", service, "--format", "json",
               "--progress-spinner", "off", "--timeout", "30", *(a for i in ignore for a in ("--ignore-vuln", i))]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S, cwd=ROOT)  # noqa: S603
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{service}: {exc}"
    try:
        return json.loads(done.stdout)
    except json.JSONDecodeError:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return f"{service}: pip-audit exited {done.returncode}: {tail[:300]}"


def audit_pass(pip_audit: str, args: list[str], label: str, result: Audit, ignore: list[str]) -> None:
    errors = []
    for service in SERVICES:
        report = _run(pip_audit, args, service, ignore)
        if isinstance(report, str):
            errors.append(report)
            continue
        deps = report.get("dependencies", [])
        checked = [d for d in deps if "skip_reason" not in d]
        if not checked and service != SERVICES[-1]:
            errors.append(f"{service}: knows none of the {len(deps)} package versions")
            continue  # ask the next service
        for dep in deps:
            name = dep.get("name", "?")
            if "skip_reason" in dep:
                result.unchecked.setdefault(name, dep["skip_reason"])
                continue
            result.checked.add(name)
            result.unchecked.pop(name, None)
            for vuln in dep.get("vulns", []):
                fixes = ", ".join(vuln.get("fix_versions") or []) or "no fixed version yet"
                result.vulnerable.setdefault(f"{name} {dep.get('version', '?')}", []).append(
                    f"{vuln.get('id', '?')} (fixed in: {fixes})")
        return
    result.failures.append(f"{label}: " + "; ".join(errors))


def main() -> int:
    pip_audit = os.environ.get("PIP_AUDIT", str(ROOT / ".venv" / "bin" / "pip-audit"))
    ignore = [i.strip() for i in os.environ.get("WORKBENCH_AUDIT_IGNORE", "").split(",") if i.strip()]
    required = os.environ.get("WORKBENCH_AUDIT_REQUIRED", "").lower() in ("1", "true", "yes")
    result = Audit()
    audit_pass(pip_audit, ["--requirement", "requirements.txt", "--no-deps", "--disable-pip"], "requirements.txt",
               result, ignore)  # fmt: skip
    audit_pass(pip_audit, ["--skip-editable"], "installed packages", result, ignore)
    for name in result.checked:
        result.unchecked.pop(name, None)

    if result.vulnerable:
        print("dependency audit FAILED: known vulnerabilities", file=sys.stderr)
        for package, advisories in sorted(result.vulnerable.items()):
            print(f"  {package}: {'; '.join(advisories)}", file=sys.stderr)
        print("Upgrade the pin in requirements.txt, or accept a reviewed advisory with "
              "WORKBENCH_AUDIT_IGNORE=<id>.", file=sys.stderr)
        return 1
    if not result.checked:
        reasons = result.failures or [f"{len(result.unchecked)} packages unknown to the vulnerability services"]
        print("WARNING: the dependency audit could NOT run: no package was checked for known vulnerabilities.\n"
              "  " + "\n  ".join(reasons) + "\n  Run `.venv/bin/pip-audit -r requirements.txt` where PyPI's advisory "
              "service or OSV (api.osv.dev) can be reached.", file=sys.stderr)  # fmt: skip
        return 2 if required else 0
    for failure in result.failures:
        print(f"WARNING: part of the dependency audit could not run: {failure}", file=sys.stderr)
    if result.unchecked:
        shown = ", ".join(sorted(result.unchecked)[:15]) + (" ..." if len(result.unchecked) > 15 else "")
        print(f"WARNING: {len(result.unchecked)} packages could not be checked: {shown}", file=sys.stderr)
    print(f"dependency audit: {len(result.checked)} packages checked, no known vulnerabilities", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
