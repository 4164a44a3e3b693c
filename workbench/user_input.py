"""Text that comes from users, made safe to use: search text, and file names.

Search text is matched as a literal (queries bind it and escape LIKE wildcards); this
module refuses what no stored text can contain and what a database driver would choke on:
NUL and other control characters, and lone surrogates (a browser or a shell can send them;
they cannot be encoded, so SQLite and PostgreSQL would fail on them). SQLite would also cut
a pattern at a NUL and match everything.

An uploaded file's name is only a label: nothing is ever written under it. It is still
recorded in the audit log and shown on pages, and a stem built from it names downloads and
rejected-rows files, so it is cut to its last path part (``../../etc/passwd`` is
``passwd``, ``C:\\x\\win.ini`` is ``win.ini``), stripped of control and invisible
characters and kept short.
"""

from __future__ import annotations

import unicodedata

from workbench.errors import WorkbenchError

MAX_NAME = 200


def plain_text(value: str, what: str) -> str:
    """``value`` stripped; WorkbenchError when it holds a control character (tab and line
    breaks aside) or a lone surrogate. For search text, names and titles a user types."""
    for ch in value:
        if (ch < " " and ch not in "\t\n\r") or "\ud800" <= ch <= "\udfff" or ch == "\x7f":
            raise WorkbenchError(f"{what} contains a control or invalid character (U+{ord(ch):04X}); type plain text")
    return value.strip()


def clean_upload_name(name: str, default: str = "upload") -> str:
    """The last path part of ``name`` without control characters, at most MAX_NAME characters."""
    last = str(name or "").replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    text = "".join(ch for ch in last if not unicodedata.category(ch).startswith("C")).strip()
    if text.strip(".") == "":  # "", "." and ".." name no file
        return default
    if len(text) > MAX_NAME:
        stem, dot, suffix = text.rpartition(".")
        keep = f".{suffix}" if dot and len(suffix) <= 10 else ""
        text = text[: MAX_NAME - len(keep)] + keep
    return text


def safe_stem(text: str, default: str, limit: int = 60) -> str:
    """Letters, digits, ``-`` and ``_`` only: a file-name stem that cannot leave its folder."""
    stem = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in str(text or ""))[:limit].strip("_")
    return stem or default
