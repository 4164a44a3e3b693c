"""Faults: the database away, index files damaged, a process killed mid-write, a full disk.

In each case the app says what happened, recovers when it can, and loses nothing committed.
"""

from __future__ import annotations

import errno
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import func, select, text
from streamlit.testing.v1 import AppTest

from services.deal_embeddings import embed_deals, sync_vector_index
from services.precedents import PrecedentEngine, PrecedentQuery, search_precedents
from services.screening import ScreenSpec, run_screen
from services.targeting_export import export_screen_to_excel
from workbench.config import get_settings
from workbench.db import is_store_unreachable, make_engine
from workbench.embeddings import HashingEmbedder
from workbench.files import DiskFull
from workbench.models import AuditEntry, Company, Deal
from workbench.vector_index import index_paths

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "streamlit_app.py")
EMBEDDER = HashingEmbedder(64)
WORDS = ["chemicals", "software", "bank", "utility", "semiconductor", "coatings", "pharma", "retail"]


def _add_deals(factory, start: int, count: int) -> None:
    with factory.begin() as s:
        for i in range(start, start + count):
            word = WORDS[i % len(WORDS)]
            s.add(Deal(key=f"D{i:03d}", name=f"{word.title()} deal {i}", deal_type="ma", status="completed",
                       sector="Materials" if i % 2 else "Information Technology",
                       description=f"Acquisition of a {word} business, number {i}."))  # fmt: skip


def _search(store, folder: Path) -> tuple[list[str], list[float], object]:
    engine = PrecedentEngine(folder=folder, approximate_from=1000)
    status = engine.refresh(session_factory=store.session_factory, embedder=EMBEDDER)
    hits = search_precedents(PrecedentQuery(text="specialty chemicals acquisition", top=5),
                             session_factory=store.session_factory, embedder=EMBEDDER, engine=engine).hits
    return list(hits["key"]), [round(x, 6) for x in hits["score"]], status


def _schema(store) -> str:
    if store.backend != "postgresql":
        return ""
    with store.engine.connect() as conn:
        return conn.execute(text("SELECT current_schema()")).scalar_one()


# A child process on the test's store (PostgreSQL: the test's own schema), killed mid-write.
CHILD_PRELUDE = """
import sys, time
from sqlalchemy import event
from workbench.db import make_engine, make_session_factory
url, schema = sys.argv[1], sys.argv[2]
engine = make_engine(url)
if schema:
    @event.listens_for(engine, "connect")
    def _search_path(dbapi_connection, _record):
        with dbapi_connection.cursor() as cur:
            cur.execute(f'SET search_path TO "{schema}"')
        dbapi_connection.commit()
factory = make_session_factory(engine)

def pause(marker):
    print(marker, flush=True)
    time.sleep(600)  # killed here, in the middle of the write
"""


def _kill_child_at_marker(store, body: str, *args: str) -> None:
    proc = subprocess.Popen([sys.executable, "-c", CHILD_PRELUDE + body, store.url, _schema(store), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                            env={**os.environ, "HF_HUB_OFFLINE": "1"})  # fmt: skip
    try:
        line = proc.stdout.readline()  # the child pauses right after printing its marker
        assert line.startswith("KILL ME"), f"child ended early: {line!r} {proc.stderr.read()[-2000:]}"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL


# --- database unreachable ----------------------------------------------------------------------
@pytest.fixture
def fresh_streamlit(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("WORKBENCH_DEMO_ON_EMPTY", "false")
    get_settings.cache_clear()
    st.cache_resource.clear()
    st.cache_data.clear()
    yield
    st.cache_resource.clear()
    st.cache_data.clear()
    get_settings.cache_clear()


def _texts(at: AppTest) -> str:
    return " ".join(e.value for e in [*at.error, *at.info, *at.warning])


def test_app_started_on_an_unreachable_database_says_so_without_a_traceback(fresh_streamlit, monkeypatch):
    monkeypatch.setenv("WORKBENCH_DATABASE_URL", "postgresql+psycopg://u:secret@127.0.0.1:1/x")
    get_settings.cache_clear()
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    message = _texts(at)
    assert "The store cannot be reached" in message and "127.0.0.1:1" in message
    assert "secret" not in message and "Check WORKBENCH_DATABASE_URL" in message


class TcpProxy:
    """A TCP forwarder to the database that can be cut and restored like a network outage."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self._server: socket.socket | None = None
        self._open: list[socket.socket] = []

    def up(self) -> None:
        self._server = socket.create_server(("127.0.0.1", self.port), reuse_port=False)
        threading.Thread(target=self._accept, args=(self._server,), daemon=True).start()

    def down(self) -> None:
        """Refuse new connections and drop every open one (what a database restart looks like)."""
        # shutdown() first: a plain close() leaves a socket that a blocked accept() still holds.
        for sock in [*([self._server] if self._server else []), *self._open]:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        self._server = None
        self._open.clear()

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self._open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass


def test_page_says_the_store_is_unreachable_mid_session_and_works_again_when_it_is_back(
        store, fresh_streamlit, monkeypatch):  # fmt: skip
    if store.backend != "postgresql":
        pytest.skip("cutting the connection needs a network database (PostgreSQL)")
    _add_deals(store.session_factory, 0, 3)
    url = store.engine.url
    proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
    proxy.up()
    app_url = url.set(host="127.0.0.1", port=proxy.port, query={"options": f"-csearch_path={_schema(store)}"})
    monkeypatch.setenv("WORKBENCH_DATABASE_URL", app_url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    try:
        at = AppTest.from_file(APP, default_timeout=60).run()
        assert not at.exception and not at.error
        proxy.down()  # the database goes away after the page loaded
        at.run()
        assert not at.exception
        assert "The store is unreachable" in _texts(at) and "Nothing saved is lost" in _texts(at)
        proxy.up()  # and comes back: the same session works again, no restart
        at.run()
        assert not at.exception and not at.error
    finally:
        proxy.down()


def test_connection_errors_are_told_apart_from_other_errors(tmp_path):
    engine = make_engine("postgresql+psycopg://u@127.0.0.1:1/x?connect_timeout=2")
    with pytest.raises(Exception) as refused:
        engine.connect()
    assert is_store_unreachable(refused.value)
    assert not is_store_unreachable(ValueError("bad input"))


# --- index files deleted or damaged --------------------------------------------------------------
def _cut_short(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _overwrite_vectors(path: Path) -> None:
    # Garbage in the vector data, not the header: FAISS would read this file without complaint.
    data = bytearray(path.read_bytes())
    data[-512:-256] = os.urandom(256)
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", [Path.unlink, _cut_short, _overwrite_vectors], ids=["deleted", "truncated", "garbage"])
def test_damaged_index_file_is_rebuilt_from_the_store_with_the_same_results(store, tmp_path, damage):
    _add_deals(store.session_factory, 0, 12)
    folder = tmp_path / "index"
    before, scores, _ = _search(store, folder)
    damage(index_paths(folder, EMBEDDER.name)[0])
    after, scores_after, status = _search(store, folder)  # a restarted app
    assert (after, scores_after) == (before, scores)
    assert status.index.action == "rebuilt" and status.embedded.embedded == 0  # from stored vectors
    assert "rebuilt from the store" in status.index.note
    assert _search(store, folder)[2].index.note == ""  # the rebuilt file is sound


def test_index_file_deleted_while_the_app_runs_is_written_again(sqlite_store, tmp_path):
    _add_deals(sqlite_store.session_factory, 0, 5)
    engine = PrecedentEngine(folder=tmp_path / "index", approximate_from=1000)
    engine.refresh(session_factory=sqlite_store.session_factory, embedder=EMBEDDER)
    path = index_paths(tmp_path / "index", EMBEDDER.name)[0]
    path.unlink()
    status = engine.refresh(session_factory=sqlite_store.session_factory, embedder=EMBEDDER)
    assert path.exists() and "written again" in status.index.note and status.index.count == 5


# --- a process killed mid-write ------------------------------------------------------------------
IMPORT_CHILD = """
from services.imports import run_import, source_from_path

def progress(fraction, message):
    if message.startswith("Writing") and not message.startswith("Writing companies: 0 "):
        pause("KILL ME " + message)

run_import(source_from_path(sys.argv[3]), "companies", session_factory=factory, user="importer", progress=progress)
print("finished", flush=True)
"""


def _companies_csv(path: Path, count: int, name: str) -> Path:
    lines = ["key,name,sector"] + [f"C{i:05d},{name} {i},Energy" for i in range(count)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_import_killed_mid_write_leaves_all_or_none_of_the_file_and_earlier_rows_intact(store, tmp_path):
    from services.imports import run_import, source_from_path

    factory = store.session_factory
    run_import(source_from_path(_companies_csv(tmp_path / "first.csv", 20, "First")), "companies",
               session_factory=factory, user="importer")  # fmt: skip
    # 1,600 rows: the child writes in 500-row batches inside one transaction and is killed after the first.
    _kill_child_at_marker(store, IMPORT_CHILD, str(_companies_csv(tmp_path / "big.csv", 1600, "Second")))
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Company)) == 20
        assert {n.split()[0] for n in s.scalars(select(Company.name))} == {"First"}  # no update landed
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "import")) == 1
    again = run_import(source_from_path(tmp_path / "big.csv"), "companies", session_factory=factory, user="importer")
    assert (again.inserted, again.updated) == (1580, 20)  # the store took the file afterwards as usual


INDEX_CHILD = """
import os
from services.deal_embeddings import sync_vector_index
real_replace = os.replace

def replace(src, dst):
    if str(dst).endswith(sys.argv[5]):
        pause("KILL ME before renaming " + str(dst))
    return real_replace(src, dst)

os.replace = replace
sync_vector_index(session_factory=factory, model_name=sys.argv[3], dimension=64, folder=__import__("pathlib").Path(sys.argv[4]),
                  approximate_from=1000)
"""


@pytest.mark.parametrize(("earlier_index", "killed_before"), [(False, ".faiss"), (True, ".json")],
                         ids=["first-build", "between-index-and-manifest"])
def test_index_build_killed_mid_save_is_detected_and_rebuilt_on_next_start(store, tmp_path, earlier_index,
                                                                          killed_before):  # fmt: skip
    factory = store.session_factory
    folder = tmp_path / "index"
    _add_deals(factory, 0, 8)
    if earlier_index:
        _search(store, folder)  # an index of 8 deals on disk
    _add_deals(factory, 8, 4)
    embed_deals(session_factory=factory, embedder=EMBEDDER)
    _kill_child_at_marker(store, INDEX_CHILD, EMBEDDER.name, str(folder), killed_before)
    index_file = index_paths(folder, EMBEDDER.name)[0]
    assert index_file.exists() == earlier_index  # written under a temporary name: never half a file in place
    keys, scores, status = _search(store, tmp_path / "fresh")  # what a clean build finds
    after, scores_after, status = _search(store, folder)  # the next start on the killed folder
    assert (after, scores_after) == (keys, scores) and status.index.count == 12
    if earlier_index:  # new index, old manifest: the checksum catches the torn pair
        assert status.index.action == "rebuilt" and "checksum" in status.index.note


# --- a full disk -----------------------------------------------------------------------------------
class _FullDisk:
    """A file whose writes stop half-way with ENOSPC, like a disk that fills during the write."""

    def __init__(self, path, mode, *args, **kwargs) -> None:
        self._fh = open(path, mode, *args, **kwargs)  # noqa: SIM115 - closed in __exit__

    def write(self, data) -> int:
        self._fh.write(data[: len(data) // 2])
        self._fh.flush()
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def __getattr__(self, name):
        return getattr(self._fh, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self._fh.close()


def test_export_on_a_full_disk_says_disk_full_leaves_no_file_and_records_no_export(store, tmp_path, monkeypatch):
    factory = store.session_factory
    with factory.begin() as s:
        s.add_all([Company(key=f"E{i}", name=f"Energy co {i}", sector="Energy") for i in range(3)])
    spec = ScreenSpec(name="Energy", filters={"conditions": [{"field": "sector", "op": "=", "value": "Energy"}]})
    result = run_screen(spec, session_factory=factory, user="banker")  # an audit row committed before
    out = tmp_path / "exports"
    out.mkdir()
    monkeypatch.setattr("workbench.files.open", _FullDisk, raising=False)
    with pytest.raises(DiskFull, match="Disk full: there was no room left to write energy.xlsx"):
        export_screen_to_excel(result, session_factory=factory, user="banker", path=out / "energy.xlsx")
    assert list(out.iterdir()) == []  # neither the workbook nor its temporary file
    with factory() as s:
        actions = s.scalars(select(AuditEntry.action)).all()
    assert "export" not in actions and "screen_run" in actions
    monkeypatch.undo()
    done = export_screen_to_excel(result, session_factory=factory, user="banker", path=out / "energy.xlsx")
    assert (out / "energy.xlsx").read_bytes() == done.data


def test_index_that_cannot_be_saved_on_a_full_disk_still_serves_searches(sqlite_store, tmp_path, monkeypatch):
    _add_deals(sqlite_store.session_factory, 0, 5)
    embed_deals(session_factory=sqlite_store.session_factory, embedder=EMBEDDER)

    def full(*_args, **_kw):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("workbench.vector_index.VectorIndex.save", full)
    index, report = sync_vector_index(session_factory=sqlite_store.session_factory, model_name=EMBEDDER.name,
                                      dimension=64, folder=tmp_path / "index", approximate_from=1000)  # fmt: skip
    assert index.count == 5 and "the disk is full" in report.note
    assert not index_paths(tmp_path / "index", EMBEDDER.name)[0].exists()

