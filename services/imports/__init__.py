"""Import of companies, deals, prices and documents from CSV or XLSX files.

Validate before writing, write in one transaction, audit every import. What is cleaned and
what is rejected is listed in ``services/imports/cleaning.py`` and in docs/IMPORTING.md.
"""

from services.imports.fields import FIELDS, KINDS, Field, field_by_name, fields_for
from services.imports.mapping import ColumnMapping, build_mapping, parse_overrides
from services.imports.reading import ImportSource, source_from_bytes, source_from_path
from services.imports.rows import RowError
from services.imports.service import (ImportPreview, ImportRejected, ImportResult, PreparedImport, detect_mapping,
    prepare_import, preview_import, run_import)

__all__ = [
    "FIELDS", "KINDS", "ColumnMapping", "Field", "ImportPreview", "ImportRejected", "ImportResult",
    "ImportSource", "PreparedImport", "RowError", "build_mapping", "detect_mapping", "field_by_name", "fields_for", "parse_overrides",
    "prepare_import", "preview_import", "run_import", "source_from_bytes", "source_from_path",
]  # fmt: skip
