"""The app's one bridge to Streamlit's caches: expensive things are built once per process.

Pages import from here; services never do (they receive what they need as arguments).
"""

from __future__ import annotations

import logging
import threading

import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from workbench.config import Settings, get_settings
from workbench.db import (check_connection, is_store_unreachable, make_engine, make_session_factory,
                          prepare_schema, store_is_empty, unreachable_message)

log = logging.getLogger(__name__)


@st.cache_resource(show_spinner=False)
def _engine(url: str) -> Engine:
    engine = make_engine(url)
    check_connection(engine)
    # Not cached when this raises: the next rerun tries again (database back, migration done).
    prepare_schema(engine, migrate_on_start=get_settings().migrate_on_start)
    return engine


def settings() -> Settings:
    return get_settings()


def engine() -> Engine:
    return _engine(get_settings().resolved_database_url)


def upload_limit_mb() -> int:
    """The largest upload a page accepts: WORKBENCH_MAX_UPLOAD_MB, but never more than the
    server's own ``server.maxUploadSize``, which Streamlit enforces on every upload."""
    return max(1, min(int(get_settings().max_upload_mb), int(st.get_option("server.maxUploadSize"))))


def upload_limit_note() -> str | None:
    """What to raise when the setting asks for more than the server lets through."""
    wanted, server = int(get_settings().max_upload_mb), int(st.get_option("server.maxUploadSize"))
    if wanted <= server:
        return None
    return (f"Uploads here are limited to {server} MB by the server (server.maxUploadSize), below "
            f"WORKBENCH_MAX_UPLOAD_MB={wanted}: start the app with STREAMLIT_SERVER_MAX_UPLOAD_SIZE={wanted} too.")


@st.cache_resource(show_spinner=False)
def _session_factory(url: str) -> sessionmaker[Session]:
    return make_session_factory(_engine(url))


def session_factory() -> sessionmaker[Session]:
    return _session_factory(get_settings().resolved_database_url)


def _oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def _oidc_claims() -> dict[str, object] | None:
    if not _oidc_configured():
        return None
    claims = dict(st.user.to_dict())
    # Streamlit adds is_logged_in only when it finds the [auth] section itself: without it,
    # nobody is signed in (never an exception on every page).
    claims["is_logged_in"] = bool(claims.get("is_logged_in", False))
    return claims


def current_viewer():  # -> workbench.access.Viewer
    """The signed-in user with their role and deal teams, resolved on every run of a page.

    Stops the page with a clear message when no trustworthy identity came with the request:
    behind the proxy a missing header never falls back to the local user.
    """
    from workbench.access import AccessDenied, NotSignedIn, identity_from_request, load_viewer

    leave_pages_folder_mode()
    cfg = get_settings()
    try:
        name = identity_from_request(cfg, dict(st.context.headers) if cfg.auth == "proxy" else None,
                                     _oidc_claims() if cfg.auth == "oidc" else None)  # fmt: skip
        role = cfg.local_role if cfg.auth == "local" else cfg.default_role
        with session_factory()() as session:
            return load_viewer(session, name, default_role=role)
    except NotSignedIn as exc:
        st.error(str(exc))
        if cfg.auth == "oidc" and _oidc_configured():
            st.button("Sign in", on_click=st.login, type="primary")
        elif cfg.auth == "oidc":
            st.info("WORKBENCH_AUTH is oidc but .streamlit/secrets.toml has no [auth] section.")
        st.stop()
    except AccessDenied as exc:
        st.error(str(exc))
        st.stop()
    except DBAPIError as exc:  # every page asks for its viewer first: the database went away
        if not is_store_unreachable(exc):
            raise
        show_store_unreachable(exc)
        st.stop()
    raise AssertionError("unreachable")  # st.stop() raises


def current_user() -> str:
    """The signed-in user's name, as the audit trail records it."""
    return current_viewer().user


@st.cache_resource(show_spinner=False)
def _seeding_lock() -> threading.Lock:
    return threading.Lock()


def leave_pages_folder_mode() -> None:
    """Rerun through the router when Streamlit ran a page of pages/ on its own.

    A fresh server process runs its very first script run in the old pages/-folder mode
    (streamlit 1.67: ``PagesManager.uses_pages_directory`` stays true until a run calls
    ``st.navigation``). A first visitor deep-linking to /targeting would then get that page
    without the router: no store check, no sections, no sign-in line. Clearing the flag and
    rerunning sends the same URL through ``streamlit_app.py``. Only a session's first run
    reruns: nothing has been clicked yet, so the rerun loses no widget's trigger (AppTest
    starts every run in that mode).
    """
    from streamlit.runtime.pages_manager import PagesManager

    first_run = "_wb_ran" not in st.session_state
    st.session_state["_wb_ran"] = True
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        if first_run:
            st.rerun()


def ensure_store() -> sessionmaker[Session]:
    """Open (and migrate) the store; on first launch of an empty store, seed the demo data."""
    leave_pages_folder_mode()
    factory = session_factory()
    cfg = get_settings()
    if cfg.demo_on_empty and not st.session_state.get("_store_checked"):
        # Two browser tabs opening an empty store at once would both seed it: the second
        # then fails on the first's rows. The second waits here and finds the store filled.
        with _seeding_lock():
            _seed_if_empty(factory, cfg)
        st.session_state["_store_checked"] = True
    return factory


def _seed_if_empty(factory: sessionmaker[Session], cfg: Settings) -> None:
    if not store_is_empty(factory):
        return
    from workbench.demo import DemoSize, seed_demo

    bar = st.progress(0.0, text="First launch: building the demo universe...")
    seed_demo(
        factory,
        DemoSize(seed=cfg.demo_seed),
        progress=lambda frac, msg: bar.progress(min(max(frac, 0.0), 1.0), text=msg),
    )
    bar.empty()
    forget_store_reads()


@st.cache_resource(show_spinner=False)
def _store_generation() -> list[int]:
    return [0]


def store_generation() -> int:
    """Changes when this process has written to the store in bulk (an import, the demo
    seeding): a cache_resource key for shared reads that must not outlive that."""
    return _store_generation()[0]


def forget_store_reads() -> None:
    """After an import or seeding: every page's cached reads of the store are stale."""
    st.cache_data.clear()
    _store_generation()[0] += 1


def show_error(exc: Exception) -> None:
    if is_store_unreachable(exc):
        show_store_unreachable(exc)
        return
    log.exception("page error")
    st.error(f"{exc.__class__.__name__}: {exc}")


def show_store_unreachable(exc: BaseException) -> None:
    """The database went away mid-session: say so plainly; the next rerun reconnects."""
    log.warning("store unreachable: %s", exc.__class__.__name__, exc_info=exc)
    st.error(unreachable_message(get_settings().resolved_database_url), icon=":material/cloud_off:")
    st.button("Retry", key="_store_retry")


@st.cache_resource(show_spinner=False)
def feature_cache():  # -> services.screening.FeatureCache
    """One in-process cache of screening feature frames, shared by every session of the app."""
    from services.screening import FeatureCache

    return FeatureCache(max_frames=3)


@st.cache_resource(show_spinner="Loading the language model...")
def _embedder(choice: str, model_name: str, model_path: str | None, threads: int):  # -> Embedder
    from workbench.embeddings import build_embedder

    return build_embedder(get_settings(), threads=threads or None)


def embedder():  # -> workbench.embeddings.Embedder
    """The sentence embedder named by WORKBENCH_EMBEDDER, built once per process."""
    cfg = get_settings()
    path = str(cfg.model_path) if cfg.model_path else None
    return _embedder(cfg.embedder, cfg.model_name, path, cfg.app_model_threads)


@st.cache_resource(show_spinner=False)
def _precedent_engine(data_dir: str, approximate_from: int, url: str):  # -> services.precedents.PrecedentEngine
    from services.precedents import engine_from_settings

    return engine_from_settings(get_settings())


def precedent_engine():  # -> services.precedents.PrecedentEngine
    """Deal facts, keyword index and vector index for precedent search, kept once per process and store."""
    cfg = get_settings()
    return _precedent_engine(str(cfg.data_dir), cfg.index_approximate_from, cfg.resolved_database_url)
