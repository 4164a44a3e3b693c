"""Who is signed in: the proxy header is trusted only behind the proxy, and never replaced by the local user."""

from __future__ import annotations

import pytest

from workbench.access import NotSignedIn, identity_from_request
from workbench.config import Settings


def _settings(**kw) -> Settings:
    return Settings(user="laptop-user", **kw)


def test_local_mode_is_the_local_user_whatever_the_headers_say():
    assert identity_from_request(_settings(), {"X-Forwarded-User": "mallory"}, None) == "laptop-user"


def test_the_header_is_read_behind_the_proxy_case_insensitively():
    cfg = _settings(auth="proxy", behind_proxy=True, trusted_user_header="X-Remote-User")
    assert identity_from_request(cfg, {"x-remote-user": " jane@bank.com "}, None) == "jane@bank.com"


def test_the_header_is_never_trusted_unless_the_app_is_behind_the_proxy():
    cfg = _settings(auth="proxy", trusted_user_header="X-Remote-User")  # behind_proxy defaults to false
    with pytest.raises(NotSignedIn, match="BEHIND_PROXY"):
        identity_from_request(cfg, {"X-Remote-User": "jane"}, None)


@pytest.mark.parametrize("headers", [{}, {"X-Remote-User": ""}, {"X-Remote-User": "   "}, None])
def test_a_missing_header_behind_the_proxy_is_refused_not_the_local_user(headers):
    cfg = _settings(auth="proxy", behind_proxy=True, trusted_user_header="X-Remote-User")
    with pytest.raises(NotSignedIn, match="access is refused"):
        identity_from_request(cfg, headers, None)


def test_a_header_that_is_not_a_name_is_refused():
    cfg = _settings(auth="proxy", behind_proxy=True)
    with pytest.raises(NotSignedIn):
        identity_from_request(cfg, {"X-Forwarded-User": "a\nb"}, None)
    with pytest.raises(NotSignedIn):
        identity_from_request(cfg, {"X-Forwarded-User": "x" * 121}, None)


def test_oidc_uses_the_email_claim_and_refuses_anyone_not_logged_in():
    cfg = _settings(auth="oidc")
    assert identity_from_request(cfg, None, {"is_logged_in": True, "email": "ann@bank.com", "sub": "1"}) == "ann@bank.com"
    assert identity_from_request(cfg, None, {"is_logged_in": True, "sub": "abc"}) == "abc"
    with pytest.raises(NotSignedIn):
        identity_from_request(cfg, {"X-Forwarded-User": "jane"}, {"is_logged_in": False})
    with pytest.raises(NotSignedIn):
        identity_from_request(cfg, None, None)


def test_unknown_modes_and_roles_are_rejected_at_startup():
    with pytest.raises(ValueError):
        Settings(auth="header")
    with pytest.raises(ValueError):
        Settings(default_role="superuser")
