"""A Streamlit user session over the server's websocket, without a browser.

What the browser's frontend does, reduced to what a load test needs: it opens
`/_stcore/stream`, asks for script runs (`BackMsg.rerun_script` with the page and the widget
values it holds) and reads the server's `ForwardMsg`s until the run finishes. The elements
of the finished run are kept, flat, so that a caller can find a widget by its label, set it
and run again, as a person clicking would. Nothing is rendered: the time measured is the
server's (script run, serialisation, transport on loopback).

The server sends no `ref_hash` (cached-message) references because this client never
announces cached messages, so every element arrives whole.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.Element_pb2 import Element
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import ClientConnection, connect

WIDGETS = {
    "button",
    "checkbox",
    "date_input",
    "multiselect",
    "number_input",
    "radio",
    "selectbox",
    "slider",
    "text_area",
    "text_input",
}


class SessionError(Exception):
    """The run failed: an exception or error box in the app, a compile error, a timeout."""


@dataclass(frozen=True)
class Shown:
    """One element of a finished run: its kind ('metric', 'dataframe', 'selectbox', ...)."""

    kind: str
    proto: Any  # the element's own message, e.g. streamlit.proto.Selectbox_pb2.Selectbox

    @property
    def label(self) -> str:
        return str(getattr(self.proto, "label", "") or getattr(self.proto, "body", ""))

    @property
    def id(self) -> str:
        return str(getattr(self.proto, "id", ""))


@dataclass
class Run:
    """What one script run showed."""

    elements: list[Shown] = field(default_factory=list)
    status: str = ""
    seconds: float = 0.0

    def of_kind(self, kind: str) -> list[Shown]:
        return [e for e in self.elements if e.kind == kind]

    def widget(self, kind: str, label: str) -> Shown:
        for element in self.elements:
            if element.kind == kind and element.label == label:
                return element
        shown = sorted({f"{e.kind} {e.label!r}" for e in self.elements if e.kind in WIDGETS})
        raise SessionError(f"no {kind} labelled {label!r} on the page; widgets: {shown}")

    def errors(self) -> list[str]:
        found = [f"exception: {e.proto.type}: {e.proto.message}" for e in self.of_kind("exception")]
        found += [f"error: {e.proto.body}" for e in self.of_kind("alert") if e.proto.format == 1]
        return found

    def texts(self) -> str:
        """Every heading, markdown, caption, html and text body, for checks on what was shown."""
        kinds = {"heading", "markdown", "text", "html"}
        parts = [e.proto.body for e in self.elements if e.kind in kinds]
        parts += [f"{e.proto.label} {e.proto.body}" for e in self.of_kind("metric")]
        return "\n".join(parts)


class StreamlitSession:
    """One browser tab's worth of session: `async with StreamlitSession(url) as s: ...`."""

    def __init__(self, url: str, *, timeout_s: float = 120.0, headers: dict[str, str] | None = None):
        self.ws_url = url.replace("http://", "ws://").rstrip("/") + "/_stcore/stream"
        self.timeout_s = timeout_s
        self.headers = headers or {}
        self.pages: dict[str, str] = {}  # page name -> page script hash
        self.page_hash = ""
        self.last: Run = Run()
        self._ws: ClientConnection | None = None
        self._values: dict[str, WidgetState] = {}

    async def __aenter__(self) -> StreamlitSession:
        self._ws = await connect(
            self.ws_url,
            subprotocols=["streamlit"],  # type: ignore[list-item]
            additional_headers=self.headers,
            max_size=None,
            open_timeout=self.timeout_s,
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._ws is not None:
            await self._ws.close()

    # --- what a person does ---------------------------------------------------------

    async def open(self, page: str = "") -> Run:
        """Load a page by the title the router gives it ('' for the default page)."""
        if page and page not in self.pages:
            raise SessionError(f"no page {page!r}; pages: {sorted(self.pages)}")
        self.page_hash = self.pages.get(page, "")
        self._values.clear()  # a page's widgets are its own
        return await self.rerun()

    def set(self, kind: str, label: str, value: Any) -> None:
        """Hold a value for a widget of the last run; it is sent with the next run."""
        widget = self.last.widget(kind, label)
        self._values[widget.id] = _state(widget, value)

    async def click(self, label: str) -> Run:
        """Press a button (or a form's submit button): one run with its trigger set."""
        button = self.last.widget("button", label)
        trigger = WidgetState(id=button.id, trigger_value=True)
        return await self.rerun(extra=[trigger])

    async def choose(self, label: str, option: str | int) -> Run:
        """Pick an option of a select box (by its text or its position) and run."""
        box = self.last.widget("selectbox", label)
        text = box.proto.options[option] if isinstance(option, int) else option
        self.set("selectbox", label, text)
        return await self.rerun()

    # --- the protocol ---------------------------------------------------------------

    async def rerun(self, extra: Sequence[WidgetState] = ()) -> Run:
        assert self._ws is not None, "use the session in 'async with'"
        state = ClientState(page_script_hash=self.page_hash, query_string="")
        state.widget_states.widgets.extend([*self._values.values(), *extra])
        started = time.perf_counter()
        await self._ws.send(BackMsg(rerun_script=state).SerializeToString())
        run = await asyncio.wait_for(self._read_run(), self.timeout_s)
        run.seconds = time.perf_counter() - started
        self.last = run
        errors = run.errors()
        if errors:
            raise SessionError(errors[0][:300])
        return run

    async def _read_run(self) -> Run:
        assert self._ws is not None
        run = Run()
        while True:
            msg = ForwardMsg()
            msg.ParseFromString(await self._ws.recv(decode=False))
            kind = msg.WhichOneof("type")
            if kind == "new_session":  # a run starts: what came before belongs to another run
                run = Run()
                self.page_hash = msg.new_session.page_script_hash or self.page_hash
            elif kind == "navigation":
                self.pages = {p.page_name: p.page_script_hash for p in msg.navigation.app_pages}
                self.page_hash = msg.navigation.page_script_hash or self.page_hash
            elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                element: Element = msg.delta.new_element
                which = element.WhichOneof("type")
                if which:
                    run.elements.append(Shown(which, getattr(element, which)))
            elif kind == "script_finished":
                status = ForwardMsg.ScriptFinishedStatus.Name(msg.script_finished)
                if status == "FINISHED_EARLY_FOR_RERUN":
                    continue  # st.rerun() or a newer request: another run follows
                if status == "FINISHED_WITH_COMPILE_ERROR":
                    raise SessionError("the page did not compile")
                run.status = status
                return run


def _state(widget: Shown, value: Any) -> WidgetState:
    state = WidgetState(id=widget.id)
    if widget.kind in {"text_area", "text_input", "selectbox", "radio"}:
        state.string_value = str(value)
    elif widget.kind in {"checkbox"}:
        state.bool_value = bool(value)
    elif widget.kind in {"number_input"} and isinstance(value, int):
        state.int_value = value
    elif widget.kind in {"number_input", "slider"}:
        state.double_value = float(value)
    elif widget.kind == "multiselect":
        state.string_array_value.data.extend(str(v) for v in value)
    else:
        raise SessionError(f"setting a {widget.kind} is not supported by this client")
    return state
