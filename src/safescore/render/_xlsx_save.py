"""Reproducible workbook bytes: every timestamp pinned, zip entries dated alike (SOURCE_DATE_EPOCH)."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter

from safescore.render.files import write_atomic


def workbook_bytes(wb: Workbook, when: dt.datetime) -> bytes:
    """Serialise ``wb`` with every timestamp pinned to ``when``, so equal input gives equal bytes.

    openpyxl's ``save`` stamps the modified time itself and zip entries get the
    wall clock, so the writer is driven directly and the archive re-packed.
    """
    wb.properties.created = when
    wb.properties.modified = when
    raw = io.BytesIO()
    ExcelWriter(wb, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED, allowZip64=True)).save()
    stamp = max(when, dt.datetime(1980, 1, 1)).timetuple()[:6]  # zip cannot date before 1980
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw.getvalue())) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, src.read(info.filename))
    return out.getvalue()


def save_workbook(wb: Workbook, path: Path, when: dt.datetime) -> None:
    """Write ``wb`` atomically with pinned timestamps."""
    write_atomic(path, workbook_bytes(wb, when))
