"""The Compliance page shows each part to the roles allowed; no identity means no page at all."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from services import barriers
from workbench.access import Viewer
from workbench.config import get_settings
from workbench.models import AuditEntry, Company

# Streamlit caches are cleared and first-launch seeding is off: tests/ui/conftest.py.


@pytest.fixture
def filled(app_store):
    with app_store.begin() as s:
        s.add(Company(key="C1", name="Target Corp", ticker="TGT"))
    barriers.create_team("Falcon", session_factory=app_store, viewer=Viewer("ada", "admin"))
    barriers.add_restricted("TGT", session_factory=app_store, viewer=Viewer("cora", "compliance"), reason="mandate")
    return app_store


def _env(monkeypatch, **values: str) -> None:
    for name, value in values.items():
        monkeypatch.setenv(f"WORKBENCH_{name}", value)
    get_settings.cache_clear()  # the fixtures above already read the settings


def _tabs(at) -> list[str]:
    return [t.label for t in at.tabs]


def test_compliance_sees_the_audit_trail_and_exports_it_with_an_audit_row(app, filled, monkeypatch):
    _env(monkeypatch, LOCAL_ROLE="compliance")
    at = app().switch_page("pages/compliance.py").run()
    assert not at.exception
    assert _tabs(at) == ["Audit trail", "Restricted list", "Deal teams", "Users and roles"]
    shown = at.dataframe[0].value
    assert {"team_create", "restricted_add"} <= set(shown["action"])
    at.button(key="cp_prep_csv").click().run()
    assert not at.exception
    with filled() as s:
        last = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (last.action, last.object_type, last.user) == ("export", "audit_log", "test-user")
    assert last.file_sha256 and last.row_count == 2


def test_an_analyst_sees_the_restricted_list_but_not_the_audit_trail_or_users(app, filled, monkeypatch):
    _env(monkeypatch, LOCAL_ROLE="analyst")
    at = app().switch_page("pages/compliance.py").run()
    assert not at.exception
    assert _tabs(at) == ["Restricted list", "Deal teams"]
    assert list(at.dataframe[0].value["ticker"]) == ["TGT"]
    assert at.dataframe[1].value.empty  # no team of theirs; Falcon stays unnamed
    assert not at.button  # no form to change anything


def test_behind_the_proxy_a_request_without_the_user_header_gets_no_page(app, filled, monkeypatch):
    _env(monkeypatch, AUTH="proxy", BEHIND_PROXY="true")
    at = app().switch_page("pages/compliance.py").run()
    assert not at.exception
    assert any("access is refused" in e.value for e in at.error)
    assert not at.tabs and not at.dataframe
    assert "test-user" not in " ".join(c.value for c in at.sidebar.caption)


def test_with_the_example_sign_on_secrets_a_stranger_gets_a_sign_in_button_and_no_page(app, filled, monkeypatch):
    import tomllib
    from pathlib import Path

    _env(monkeypatch, AUTH="oidc")
    at = app()
    root = Path(__file__).resolve().parents[2]
    example = tomllib.loads((root / ".streamlit" / "secrets.example.toml").read_text())
    at.secrets["auth"] = example["auth"]
    at.switch_page("pages/compliance.py").run()
    assert not at.exception
    assert any("sign in" in e.value.lower() for e in at.error)
    assert not at.tabs and not at.dataframe
    sign_in = [b for b in at.button if b.label == "Sign in"]
    assert sign_in, [b.label for b in at.button]
    # Streamlit's login checks the [auth] keys and that Authlib is installed before it
    # redirects to the provider: the example file and the requirements pass both.
    from streamlit.auth_util import is_authlib_installed

    assert is_authlib_installed()
    assert {"redirect_uri", "cookie_secret", "client_id", "client_secret", "server_metadata_url"} <= set(example["auth"])
