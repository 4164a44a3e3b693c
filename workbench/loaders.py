"""Read documents into text: .txt, .md, .html, .pdf (with a text layer), .docx, pasted text.

Every way a file can be unreadable (too big, too many pages, encrypted, scanned without a
text layer, corrupt, empty, of a type we do not read) raises DocumentError with a message
that says what to do, before anything is stored.
"""

from __future__ import annotations

import codecs
import io
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from workbench.errors import WorkbenchError

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf", ".docx")
# Below this many letters per page, a PDF has no usable text layer (a scan or images).
MIN_LETTERS_PER_PAGE = 20


class DocumentError(WorkbenchError):
    """A document that cannot be read; nothing was stored."""


@dataclass(frozen=True)
class LoadedText:
    text: str  # raw extracted text, before normalisation
    name: str
    file_type: str  # txt, md, html, pdf, docx, paste
    pages: int | None
    size_bytes: int
    title: str | None = None


def _title_from_name(name: str) -> str:
    return Path(name).stem.replace("_", " ").strip() or name


# Longest first: the UTF-32 little-endian mark begins with the UTF-16 one.
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))  # fmt: skip


def decode_unicode_bom(data: bytes) -> tuple[str, str] | None:
    """(text, encoding) of UTF-16 or UTF-32 text that starts with its byte-order mark, else None.

    Windows "Unicode text" exports are UTF-16: read byte by byte they look binary (NULs) or,
    worse, like Western text with a NUL between letters."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError:
                return None
    return None


def decode_text(data: bytes, name: str) -> str:
    """UTF-8 (with or without BOM), UTF-16/32 with a BOM, else Windows-1252, the usual fallback of exported text."""
    marked = decode_unicode_bom(data)
    if marked is not None:
        return marked[0]
    if b"\x00" in data[:4096]:
        raise DocumentError(f"{name}: this looks like a binary file, not text.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            # cp1252 leaves five bytes undefined; latin-1 maps every byte
            text = data.decode("latin-1")
    sample = text[:4096]
    # Any byte decodes as Windows-1252, so binary data "decodes" too; it shows as control characters.
    if sum(ch < " " and ch not in "\t\n\r\f\v" for ch in sample) > len(sample) * 0.02:
        raise DocumentError(f"{name}: this looks like a binary file, not text.")
    return text


class _HTMLText(HTMLParser):
    _SKIP = {"script", "style", "head", "noscript", "template", "svg"}
    _BLOCK = {
        "p", "div", "br", "li", "ul", "ol", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6",
        "section", "article", "header", "footer", "blockquote", "pre", "hr", "dd", "dt", "title",
    }  # fmt: skip

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title: str | None = None
        self._skip = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs) -> None:  # noqa: ANN001
        if tag == "title":
            self._in_title = True
        if tag in self._SKIP:
            self._skip += 1
        elif tag in self._BLOCK:
            self.parts.append("\n\n" if tag in ("p", "div", "table", "section") else "\n")
        elif tag in ("td", "th"):
            self.parts.append("  ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag in self._SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._in_title and not self.title:
            self.title = data.strip() or None
        if not self._skip:
            self.parts.append(data)


def html_to_text(markup: str) -> tuple[str, str | None]:
    parser = _HTMLText()
    parser.feed(markup)
    parser.close()
    return "".join(parser.parts), parser.title


def _pdf_text(data: bytes, name: str, max_pages: int) -> tuple[str, int]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            # an owner password alone (no user password) still lets anyone read the text
            try:
                ok = reader.decrypt("")
            except Exception:  # unsupported encryption algorithms raise here
                ok = 0
            if not ok:
                raise DocumentError(
                    f"{name}: the PDF is encrypted with a password. Save an unprotected copy "
                    "and upload that."
                )
        pages = len(reader.pages)
        if pages > max_pages:
            raise DocumentError(
                f"{name}: {pages} pages is more than the limit of {max_pages} "
                "(WORKBENCH_DOC_MAX_PAGES). Split the document or raise the limit."
            )
        texts = [page.extract_text() or "" for page in reader.pages]
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError) as exc:
        raise DocumentError(f"{name}: the PDF is damaged or not a PDF ({exc.__class__.__name__}: {exc}).") from exc
    except Exception as exc:  # pypdf raises many more types on broken files (loops, limits, bad streams)
        raise DocumentError(f"{name}: the PDF could not be read ({exc.__class__.__name__}).") from exc
    text = "\n\n".join(texts)
    letters = sum(ch.isalpha() for ch in text)
    if pages == 0 or letters < MIN_LETTERS_PER_PAGE * pages:
        raise DocumentError(
            f"{name}: the PDF has no text layer (a scan or images only). Run OCR on it first, "
            "or paste the text."
        )
    return text, pages


def _docx_text(data: bytes, name: str) -> str:
    import zipfile

    from docx import Document as DocxDocument
    from docx.opc.exceptions import PackageNotFoundError

    try:
        doc = DocxDocument(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise DocumentError(f"{name}: the Word file is damaged or not a .docx ({exc.__class__.__name__}).") from exc
    except Exception as exc:  # lxml and python-docx raise many types on broken parts
        raise DocumentError(f"{name}: the Word file could not be read ({exc.__class__.__name__}).") from exc
    parts = [p.text for p in doc.paragraphs]
    # tables flattened to one line per row, cells separated by two spaces
    for table in doc.tables:
        for row in table.rows:
            cells = [c.text.strip() for c in row.cells]
            parts.append("  ".join(c for c in cells if c))
        parts.append("")
    return "\n".join(parts)


def load_bytes(data: bytes, name: str, *, max_bytes: int, max_pages: int) -> LoadedText:
    """Extract the text of one uploaded file; raise DocumentError when it cannot be used."""
    size = len(data)
    if size > max_bytes:
        raise DocumentError(
            f"{name}: {size / 1e6:.1f} MB is more than the limit of {max_bytes / 1e6:.0f} MB."
        )
    if size == 0:
        raise DocumentError(f"{name}: the file is empty.")
    suffix = Path(name).suffix.lower()
    if suffix in (".txt", ".md", ".html", ".htm", "") and data.startswith((b"%PDF-", b"PK\x03\x04")):
        # The content decides, not the name: a PDF or Word file saved as .txt is read as what it is.
        suffix = ".pdf" if data.startswith(b"%PDF-") else ".docx"
    title: str | None = None
    pages: int | None = None
    if suffix in (".txt", ".md", ""):
        text = decode_text(data, name)
        file_type = suffix.lstrip(".") or "txt"
    elif suffix in (".html", ".htm"):
        text, title = html_to_text(decode_text(data, name))
        file_type = "html"
    elif suffix == ".pdf":
        text, pages = _pdf_text(data, name, max_pages)
        file_type = "pdf"
    elif suffix == ".docx":
        text = _docx_text(data, name)
        file_type = "docx"
    else:
        raise DocumentError(
            f"{name}: {suffix} files are not supported; use one of {', '.join(SUPPORTED_SUFFIXES)}."
        )
    if not re.search(r"[A-Za-z0-9]", text):
        raise DocumentError(f"{name}: no text found in the file.")
    return LoadedText(text=text, name=name, file_type=file_type, pages=pages, size_bytes=size,
                      title=title or _title_from_name(name))


def load_path(path: Path, *, max_bytes: int, max_pages: int) -> LoadedText:
    path = Path(path)
    if not path.is_file():
        raise DocumentError(f"{path}: no such file.")
    size = path.stat().st_size
    if size > max_bytes:  # checked before reading, so a huge file is never loaded
        raise DocumentError(f"{path.name}: {size / 1e6:.1f} MB is more than the limit of {max_bytes / 1e6:.0f} MB.")
    return load_bytes(path.read_bytes(), path.name, max_bytes=max_bytes, max_pages=max_pages)


def load_pasted(text: str, *, title: str, max_bytes: int) -> LoadedText:
    text = (text or "").replace("\x00", "")
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:  # lone surrogates: a browser can send them, nothing can store them
        raise DocumentError("Pasted text holds characters that are not valid Unicode; copy it from the "
                            "source again.") from None
    if size > max_bytes:
        raise DocumentError(f"Pasted text: {size / 1e6:.1f} MB is more than the limit of {max_bytes / 1e6:.0f} MB.")
    if not re.search(r"[A-Za-z0-9]", text or ""):
        raise DocumentError("Pasted text is empty.")
    return LoadedText(text=text, name=title or "pasted text", file_type="paste", pages=None,
                      size_bytes=size, title=title or "Pasted text")


def expand_paths(paths: list[Path]) -> list[Path]:
    """Files named, and the supported files in folders named (sorted, not recursive into hidden)."""
    files: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            files.extend(sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in SUPPORTED_SUFFIXES
                                and not any(part.startswith(".") for part in f.relative_to(p).parts)))
        else:
            files.append(p)
    return files
