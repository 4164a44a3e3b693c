"""The container image and the Kubernetes/OpenShift manifests, and the separate migration step."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer.main
import yaml
from typer.testing import CliRunner

from workbench.cli import app
from workbench.config import ENV_PREFIX, Settings, get_settings
from workbench.db import current_revision, head_revision, make_engine, migrate

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy" / "kubernetes"
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
HEALTH = "/_stcore/health"


def _documents() -> list[dict[str, Any]]:
    docs = []
    for path in sorted(DEPLOY.glob("*.yaml")):
        if path.name != "kustomization.yaml":
            docs += [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
    return docs


DOCS = _documents()


def _one(kind: str, component: str | None = None) -> dict[str, Any]:
    found = [d for d in DOCS if d["kind"] == kind and (component is None or
             d["metadata"]["labels"].get("app.kubernetes.io/component") == component)]  # fmt: skip
    assert len(found) == 1, f"expected one {kind} {component or ''}, found {len(found)}"
    return found[0]


def _pod(obj: dict[str, Any]) -> dict[str, Any]:
    spec = obj["spec"]
    if obj["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return spec["template"]["spec"]


def _env(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e for e in container.get("env", [])}


def _cli_commands() -> set[str]:
    group = typer.main.get_command(app)
    names = set(group.commands)  # type: ignore[attr-defined]
    names |= {f"alerts {n}" for n in group.commands["alerts"].commands}  # type: ignore[attr-defined]
    return names


PODS = [("Deployment", "app"), ("Job", "migrate"), ("CronJob", "alerts")]


def test_kustomization_lists_every_manifest_and_fixes_no_namespace():
    kustomization = yaml.safe_load((DEPLOY / "kustomization.yaml").read_text(encoding="utf-8"))
    files = {p.name for p in DEPLOY.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == files
    assert "namespace" not in kustomization
    assert all("namespace" not in d["metadata"] for d in DOCS)


def test_deployment_runs_several_replicas_probed_on_streamlit_health():
    deployment = _one("Deployment")
    assert deployment["spec"]["replicas"] >= 2
    (app_container,) = _pod(deployment)["containers"]
    ports = {p["name"]: p["containerPort"] for p in app_container["ports"]}
    for probe in ("readinessProbe", "livenessProbe"):
        get = app_container[probe]["httpGet"]
        assert get["path"] == HEALTH, probe
        assert ports.get(get["port"], get["port"]) == 8501, probe
    assert app_container["resources"]["requests"]["memory"] and app_container["resources"]["limits"]["memory"]
    command = " ".join(app_container["command"])
    assert "streamlit run streamlit_app.py" in command and "--server.address 0.0.0.0" in command
    service = _one("Service")
    assert service["spec"]["selector"].items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
    assert service["spec"]["ports"][0]["targetPort"] in ("http", 8501)


@pytest.mark.parametrize(("kind", "component"), PODS)
def test_every_pod_reads_the_database_url_from_the_secret_and_settings_from_the_configmap(kind, component):
    secret, config = _one("Secret"), _one("ConfigMap")
    for container in _pod(_one(kind, component))["containers"] + _pod(_one(kind, component)).get("initContainers", []):
        ref = _env(container)["WORKBENCH_DATABASE_URL"]["valueFrom"]["secretKeyRef"]
        assert ref["name"] == secret["metadata"]["name"] and ref["key"] in secret["stringData"]
        assert {"configMapRef": {"name": config["metadata"]["name"]}} in container["envFrom"]


def test_configmap_holds_only_real_settings_and_turns_migrating_on_start_off():
    data = _one("ConfigMap")["data"]
    fields = {f"{ENV_PREFIX}{name.upper()}" for name in Settings.model_fields}
    assert {k for k in data if k.startswith(ENV_PREFIX)} <= fields
    assert data["WORKBENCH_MIGRATE_ON_START"] == "false" and data["HF_HUB_OFFLINE"] == "1"
    data_dir = data["WORKBENCH_DATA_DIR"]
    (app_container,) = _pod(_one("Deployment"))["containers"]
    assert data_dir in {m["mountPath"] for m in app_container["volumeMounts"]}


@pytest.mark.parametrize(("kind", "component"), PODS)
def test_every_pod_runs_non_root_without_a_fixed_uid_for_openshift(kind, component):
    pod = _pod(_one(kind, component))
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert "runAsUser" not in pod["securityContext"] and "fsGroup" not in pod["securityContext"]
    for container in pod["containers"] + pod.get("initContainers", []):
        sc = container["securityContext"]
        assert sc["allowPrivilegeEscalation"] is False and sc["capabilities"]["drop"] == ["ALL"]
        assert "runAsUser" not in sc


def test_migrations_run_as_a_job_and_new_pods_wait_for_them():
    (job,) = _pod(_one("Job", "migrate"))["containers"]
    assert job["command"] == ["workbench", "migrate"]
    (init,) = _pod(_one("Deployment"))["initContainers"]
    assert init["command"][:3] == ["workbench", "migrate", "--check"]
    assert "migrate" in _cli_commands()


def test_cronjob_runs_the_alert_rules():
    cron = _one("CronJob")
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"
    (container,) = _pod(cron)["containers"]
    assert container["command"] == ["workbench", "alerts", "run"]
    assert "alerts run" in _cli_commands()


def test_dockerfile_uses_slim_python_cpu_torch_and_a_non_root_user():
    assert re.search(r"^FROM python:3\.11-slim\b", DOCKERFILE, re.MULTILINE)
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in DOCKERFILE
    assert not re.search(r"cu\d{2,3}|nvidia|cuda-", DOCKERFILE, re.IGNORECASE)
    torch_pin = re.search(r"^torch==(\S+)$", (ROOT / "requirements.txt").read_text(), re.MULTILINE)
    assert torch_pin and "+cu" not in torch_pin.group(1)
    users = re.findall(r"^USER\s+(\S+)", DOCKERFILE, re.MULTILINE)
    assert users and users[-1].isdigit() and int(users[-1]) != 0  # numeric: runAsNonRoot can verify it
    assert "HF_HUB_OFFLINE=1" in DOCKERFILE and "WORKBENCH_DATA_DIR=/data" in DOCKERFILE
    assert re.search(r'^VOLUME \["/data"\]', DOCKERFILE, re.MULTILINE)
    assert re.search(r"^EXPOSE 8501$", DOCKERFILE, re.MULTILINE)
    assert re.search(r"^HEALTHCHECK .*\n.*" + re.escape(HEALTH), DOCKERFILE, re.MULTILINE)
    cmd = re.search(r"^CMD (\[.*\])$", DOCKERFILE, re.MULTILINE)
    assert cmd and yaml.safe_load(cmd.group(1))[:3] == ["streamlit", "run", "streamlit_app.py"]
    assert "--server.headless" in cmd.group(1) and "0.0.0.0" in cmd.group(1)


def test_dockerignore_keeps_data_secrets_and_the_venv_out_of_the_image():
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    for entry in (".git", ".venv", "data", "tests", ".env"):
        assert entry in ignored


# --- the migration step ---------------------------------------------------------------
def _engine():
    return make_engine(get_settings().resolved_database_url)


def test_migrate_check_fails_on_a_behind_store_then_migrate_brings_it_current():
    runner = CliRunner()
    check = runner.invoke(app, ["migrate", "--check"])
    assert check.exit_code != 0 and current_revision(_engine()) is None  # --check changed nothing
    done = runner.invoke(app, ["migrate"])
    assert done.exit_code == 0, done.output
    assert f"Schema at revision {head_revision(_engine())}" in done.output
    assert runner.invoke(app, ["migrate", "--check"]).exit_code == 0
    assert "already newest" in runner.invoke(app, ["migrate"]).output


def test_commands_refuse_a_behind_store_when_migrating_on_start_is_off(monkeypatch, capsys):
    from workbench.cli import main

    monkeypatch.setenv("WORKBENCH_MIGRATE_ON_START", "false")
    get_settings.cache_clear()
    monkeypatch.setattr("sys.argv", ["workbench", "alerts", "list"])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 1
    message = " ".join(capsys.readouterr().err.split())
    assert "Run `workbench migrate`" in message and "WORKBENCH_MIGRATE_ON_START=false" in message
    assert current_revision(_engine()) is None  # nothing was migrated behind the team's back
    migrate(_engine())
    with pytest.raises(SystemExit) as exit_info:
        main()  # current schema: the command runs
    assert exit_info.value.code == 0
