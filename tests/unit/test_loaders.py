"""Loaders: each supported type gives text; every unreadable file gets a clear DocumentError."""

from __future__ import annotations

import io

import pytest

from workbench.loaders import DocumentError, expand_paths, load_bytes, load_pasted, load_path

LIMITS = {"max_bytes": 5_000_000, "max_pages": 10}


def text_pdf(pages: list[str]) -> bytes:
    """A minimal PDF with one line of Helvetica text per page, xref offsets computed."""
    objects: list[bytes] = []
    n = len(pages)
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(n))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {n} >>".encode())
    font_id = 3 + 2 * n
    for i, line in enumerate(pages):
        content = f"BT /F1 12 Tf 72 720 Td ({line}) Tj ET".encode()
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * i} 0 R "
            f"/Resources << /Font << /F1 {font_id} 0 R >> >> >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + obj + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def test_text_pdf_gives_its_text_and_page_count():
    loaded = load_bytes(text_pdf(["Revenue rose 5% in Q3 to $1.2 billion.", "Guidance is unchanged."]),
                        "q3.pdf", **LIMITS)
    assert "Revenue rose 5% in Q3" in loaded.text and "Guidance is unchanged" in loaded.text
    assert loaded.pages == 2 and loaded.file_type == "pdf"


def test_encrypted_pdf_is_refused_with_a_clear_message():
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(text_pdf(["Secret revenue figures here."]))))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    with pytest.raises(DocumentError, match="encrypted"):
        load_bytes(buffer.getvalue(), "locked.pdf", **LIMITS)


def test_pdf_without_text_layer_is_refused_as_scanned():
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(612, 792)
    buffer = io.BytesIO()
    writer.write(buffer)
    with pytest.raises(DocumentError, match="no text layer"):
        load_bytes(buffer.getvalue(), "scan.pdf", **LIMITS)


def test_pdf_over_the_page_limit_is_refused():
    with pytest.raises(DocumentError, match="pages is more than the limit of 2"):
        load_bytes(text_pdf(["Page one text here."] * 3), "long.pdf", max_bytes=5_000_000, max_pages=2)


def test_corrupt_pdf_is_refused():
    with pytest.raises(DocumentError, match="damaged or not a PDF"):
        load_bytes(b"%PDF-1.4\n garbage garbage", "broken.pdf", **LIMITS)


def test_docx_gives_paragraphs_and_table_rows_as_lines():
    from docx import Document

    doc = Document()
    doc.add_paragraph("Acme Inc. reported Q3 revenue of $1.2 billion.")
    table = doc.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Revenue", "1,200"
    table.cell(1, 0).text, table.cell(1, 1).text = "EBITDA", "300"
    buffer = io.BytesIO()
    doc.save(buffer)
    loaded = load_bytes(buffer.getvalue(), "note.docx", **LIMITS)
    assert "Acme Inc. reported Q3 revenue of $1.2 billion." in loaded.text
    assert "Revenue  1,200" in loaded.text.splitlines() and "EBITDA  300" in loaded.text.splitlines()


def test_corrupt_docx_is_refused():
    with pytest.raises(DocumentError, match="Word file"):
        load_bytes(b"PK\x03\x04 this is not a zip archive", "broken.docx", **LIMITS)


def test_html_drops_scripts_and_keeps_block_structure():
    markup = (b"<html><head><title>Q3 results</title><script>var x = 1;</script></head><body>"
              b"<h1>Results</h1><p>Revenue was $1.2 bn &amp; rising.</p><p>EPS &#36;0.52.</p></body></html>")
    loaded = load_bytes(markup, "release.html", **LIMITS)
    assert "var x" not in loaded.text
    assert "Revenue was $1.2 bn & rising." in loaded.text and "EPS $0.52." in loaded.text
    assert loaded.title == "Q3 results"


def test_cp1252_text_is_decoded_with_its_curly_quotes():
    loaded = load_bytes("The Company\u2019s revenue \u2013 up 5%".encode("cp1252"), "memo.txt", **LIMITS)
    assert loaded.text == "The Company\u2019s revenue \u2013 up 5%"


def test_utf8_bom_is_dropped():
    assert load_bytes("\ufeffHello revenue".encode("utf-8"), "a.md", **LIMITS).text == "Hello revenue"


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "empty.txt", "empty"),
        (b"   \n\t  ", "blank.txt", "no text"),
        (b"MZ\x00\x00\x90binary", "tool.txt", "binary"),
        (b"a,b\n1,2", "table.xlsx", "not supported"),
        (b"x" * 2000, "huge.txt", "more than the limit"),
    ],
)
def test_unusable_files_are_refused_with_a_reason(data, name, message):
    with pytest.raises(DocumentError, match=message):
        load_bytes(data, name, max_bytes=1000, max_pages=10)


def test_huge_file_on_disk_is_refused_before_it_is_read(tmp_path, monkeypatch):
    path = tmp_path / "big.txt"
    path.write_bytes(b"a" * 5000)
    monkeypatch.setattr(type(path), "read_bytes", lambda self: pytest.fail("file was read"))
    with pytest.raises(DocumentError, match="more than the limit"):
        load_path(path, max_bytes=1000, max_pages=10)


def test_pasted_text_must_have_words():
    with pytest.raises(DocumentError, match="empty"):
        load_pasted("   ", title="x", max_bytes=1000)
    assert load_pasted("Revenue up.", title="Note", max_bytes=1000).title == "Note"


def test_folders_expand_to_supported_files_only(tmp_path):
    (tmp_path / "a.txt").write_text("x")
    (tmp_path / "b.exe").write_text("x")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.pdf").write_text("x")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "d.txt").write_text("x")
    assert [p.name for p in expand_paths([tmp_path])] == ["a.txt", "c.pdf"]
