"""Read any input file into raw grids with exact, absolute cell positions (SPEC 4.4, 4.6, 9).

The real type is decided by magic bytes, never by the extension. A bad file adds
one :class:`Problem` and yields ``None``; a bad sheet adds a problem and is
skipped. Nothing here raises for hostile input: zip bombs, XML entity bombs,
encrypted, truncated and mislabelled files are all reported.
"""

from __future__ import annotations

import csv
import io
import os
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from safescore import limits
from safescore.inputs import _xlsx_scan as xs
from safescore.inputs import _xlsx_zip as xz
from safescore.inputs._read_errors import Refused, guard, problem, too_large
from safescore.inputs._read_sheets import read_calamine
from safescore.inputs.grid import Kind, SheetGrid, SheetSelect, WorkbookData, cell_name
from safescore.problems import Report

__all__ = [
    "INPUT_EXTENSIONS",
    "Kind",
    "SheetGrid",
    "SheetSelect",
    "WorkbookData",
    "cell_name",
    "iter_input_files",
    "read_workbook",
]

INPUT_EXTENSIONS = (".xlsx", ".xlsm", ".xls", ".csv")
_EXT_KIND: dict[str, Kind] = {".xlsx": "xlsx", ".xlsm": "xlsx", ".xltx": "xlsx", ".xltm": "xlsx"}
_EXT_KIND |= {".xls": "xls", ".csv": "csv", ".ods": "ods"}
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"
# Compound-file directory names are UTF-16LE; a password-protected .xlsx is an
# OLE file holding these two streams. 'Book' is the BIFF5 workbook stream.
_ENCRYPTED_MARKS = tuple(n.encode("utf-16-le") for n in ("EncryptedPackage", "EncryptionInfo"))
_BOOK_MARKS = tuple(n.encode("utf-16-le") for n in ("Workbook", "Book"))
_CHUNK = 4 << 20
_IN_MEMORY = 64 << 20  # zip files up to this size are read into memory once


def read_workbook(
    path: Path,
    report: Report,
    *,
    max_unzipped_bytes: int | None = None,
    max_cells: int | None = None,
    select: SheetSelect | None = None,
) -> WorkbookData | None:
    """Read ``path`` into raw grids; on a bad file add one Problem and return None (never raises).

    ``select`` (given the worksheet names) limits the sheets read: the others are
    neither scanned nor parsed, and are listed in ``WorkbookData.skipped``. The
    prolog of every XML part is still checked, so a hostile part refuses the file
    whether or not its sheet is read.
    """
    path = Path(path)
    lim = limits.input_limits()  # SAFESCORE_MAX_*; a bad value is a usage error (LimitError)
    max_unzipped_bytes = lim.unzipped_bytes if max_unzipped_bytes is None else max_unzipped_bytes
    max_cells = lim.cells if max_cells is None else max_cells
    try:
        return _read(path, report, max_unzipped_bytes, max_cells, select)
    except Refused as r:
        report.add(
            problem(path, r.code, r.detail, value=r.detail or None, expected=r.expected, sheet=r.sheet)
        )
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # pyo3's PanicException derives from BaseException
        detail = f"{type(exc).__name__}: {exc}"[:300]
        report.add(problem(path, "file-corrupt", value=detail, expected="可正常打开的 Excel 工作簿"))
    return None


def _read(
    path: Path, report: Report, max_bytes: int, max_cells: int, select: SheetSelect | None
) -> WorkbookData:
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise Refused("file-unreadable", "它不是文件（可能是文件夹）")
        with path.open("rb") as fh:
            head = fh.read(8)
    except FileNotFoundError:
        raise Refused("input-not-found", path, "存在的文件") from None
    except OSError as exc:
        raise Refused("file-unreadable", exc.strerror or exc) from None
    if size == 0:
        raise Refused("file-empty", expected="Excel 工作簿")
    if head.startswith(b"PK\x03\x04"):
        data = _read_zip(path, size, max_bytes, max_cells, report, select)
    elif head == _OLE_MAGIC:
        data = _read_ole(path, max_bytes, max_cells, report, select)
    else:
        data = _read_text(path, size, max_bytes, max_cells, report)
    ext = path.suffix.lower()
    if _EXT_KIND.get(ext) != data.kind:
        detail, expected = ext or "（无）", f".{data.kind}"
        report.add(
            problem(
                path,
                "extension-mismatch",
                detail,
                severity="warning",
                kind=data.kind,
                value=ext,
                expected=expected,
            )
        )
    return data


def _read_zip(
    path: Path, size: int, max_bytes: int, max_cells: int, report: Report, select: SheetSelect | None
) -> WorkbookData:
    try:
        # Read once: zipfile, the part reads and calamine all work from these bytes
        # (calamine reads the whole file anyway); a huge file stays on disk.
        data = path.read_bytes() if size <= _IN_MEMORY else None
        zf = zipfile.ZipFile(io.BytesIO(data) if data is not None else path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise Refused("file-corrupt", exc, "完整的 .xlsx 文件") from None
    with zf:
        infos = zf.infolist()
        # Zip-bomb guard on declared sizes, before anything is decompressed.
        total = sum(i.file_size for i in infos)
        if total > max_bytes:
            raise Refused("file-too-large", total, f"解压后不超过 {max_bytes} 字节")
        for i in infos:
            # Deflate never expands data much, so a member bigger compressed than
            # uncompressed lies about its size (a bomb hiding from the guard above).
            if i.compress_size > i.file_size * 1.01 + 4096:
                raise Refused("file-corrupt", f"{i.filename} 声明的大小不实")
            if i.flag_bits & 0x1:
                raise Refused("file-encrypted")
        names = {i.filename for i in infos}
        if "xl/workbook.bin" in names:
            raise Refused("unsupported-format", expected=".xlsx")
        if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
            kind: Kind = "xlsx"
        elif (
            "mimetype" in names
            and zf.getinfo("mimetype").file_size < 200
            and zf.read("mimetype").startswith(_ODS_MIME)
        ):
            kind = "ods"
        elif "word/document.xml" in names or "ppt/presentation.xml" in names:
            raise Refused("not-a-workbook", "Word/PowerPoint 文档", "Excel 工作簿 (.xlsx)")
        else:
            raise Refused("not-a-workbook", "普通 ZIP 压缩包", "Excel 工作簿 (.xlsx)")
        pkg = xz.Package(zf, data)
        return guard(lambda: _read_package(path, pkg, kind, names, max_cells, report, select))


def _read_package(
    path: Path,
    pkg: xz.Package,
    kind: Kind,
    names: set[str],
    max_cells: int,
    report: Report,
    select: SheetSelect | None,
) -> WorkbookData:
    ods: dict[str, xs.SheetScan] = {}
    lim = limits.input_limits()  # once per file: the scans would each read the environment
    if kind == "xlsx":
        parts, modified = xs.sheet_parts(pkg), xs.core_modified(pkg)
        chosen = select(list(parts)) if select is not None else None
        # a worksheet that is read is checked by its scan; one left unread gets the prolog check
        read_parts = [p for s, p in parts.items() if chosen is None or s in chosen]
        own = {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "docProps/core.xml", *read_parts}
    else:
        ods = xs.scan_ods(pkg.zf.read("content.xml")) if "content.xml" in names else ods
        parts, modified, own = {}, None, {"content.xml"}
        # calamine loads every ODS table when it opens the file: one oversized
        # table (repeat attributes make that cheap) refuses the whole file.
        for sheet, info in ods.items():
            if info.n_cells > max_cells:
                raise Refused(
                    "sheet-too-large",
                    f"约有 {info.n_cells} 个单元格",
                    f"不超过 {max_cells} 个单元格",
                    sheet=sheet,
                )
            xs.check_extent(info, lim, sheet)  # rows and columns
    # Parts parsed here refuse DTDs themselves (a worksheet's refusal refuses the
    # file); every other XML part gets a prolog check before calamine reads it.
    unsafe = xz.first_unsafe_part(pkg, skip=own)
    if unsafe:
        raise Refused("xml-unsafe", unsafe, "不含 DOCTYPE 的标准工作簿")

    def scan(sheet: str) -> xs.SheetScan | None:
        if kind == "ods":
            return ods.get(sheet)
        part = parts.get(sheet)
        if part not in names:
            # Never let calamine read a sheet whose size was not checked first.
            raise LookupError(f"找不到工作表的 XML 部件 {part}")
        return xs.scan_sheet(pkg.read(pkg.zf.getinfo(part)), lim, sheet)

    sheets, skipped = read_calamine(path, max_cells, report, scan, select, pkg.data)
    return WorkbookData(path, kind, sheets, modified, skipped)


def _read_ole(
    path: Path, max_bytes: int, max_cells: int, report: Report, select: SheetSelect | None
) -> WorkbookData:
    found_book = False
    with path.open("rb") as fh:
        tail, read = b"", 0
        while read < max_bytes and (chunk := fh.read(_CHUNK)):
            window = tail + chunk
            if any(mark in window for mark in _ENCRYPTED_MARKS):
                raise Refused("file-encrypted", expected="未加密的工作簿")
            found_book = found_book or any(mark in window for mark in _BOOK_MARKS)
            tail, read = chunk[-64:], read + len(chunk)
    if not found_book:
        raise Refused("not-a-workbook", "其他 Office 文档（如 Word .doc）", "Excel 工作簿 (.xls/.xlsx)")
    # calamine builds every sheet's grid on open and loops on broken compound files
    guard(lambda: xs.check_xls(path))
    sheets, skipped = read_calamine(path, max_cells, report, None, select)
    return WorkbookData(path, "xls", sheets, skipped=skipped)


def _read_text(path: Path, size: int, max_bytes: int, max_cells: int, report: Report) -> WorkbookData:
    if path.suffix.lower() != ".csv":
        with path.open("rb") as fh:
            head = fh.read(4096).lower()
        what = "网页（HTML）文件" if b"<html" in head or b"<table" in head else "文本或其他非表格文件"
        raise Refused("not-a-workbook", what, "Excel 工作簿 (.xlsx/.xls)")
    if size > max_bytes:
        raise Refused("file-too-large", size, f"不超过 {max_bytes} 字节")
    text = _decode_csv(path.read_bytes())
    if text is None:
        raise Refused(
            "not-a-workbook",
            "无法识别编码的文件（不是 UTF-8 或 GB18030 文本）",
            "UTF-8 或 GB18030 编码的 CSV",
        )
    try:
        dialect: Any = csv.Sniffer().sniff(text[:65536], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = xs.csv_rows(text, dialect, sheet=path.stem)  # stops at SAFESCORE_MAX_ROWS/COLS/CELLS
    except xs.TooLarge as exc:
        report.add(
            problem(
                path, "sheet-too-large", exc.detail, sheet=path.stem, value=exc.value, expected=exc.expected
            )
        )
        return WorkbookData(path, "csv", [])
    except csv.Error as exc:
        raise Refused("file-corrupt", exc) from None
    n = len(rows) * max((len(r) for r in rows), default=0)
    if n > max_cells:
        report.add(too_large(path, path.stem, n, max_cells))
        return WorkbookData(path, "csv", [])
    return WorkbookData(path, "csv", [SheetGrid(name=path.stem, rows=rows)])


def _decode_csv(data: bytes) -> str | None:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings: tuple[str, ...] = ("utf-16",)
    elif b"\x00" in data:
        return None  # binary, not text
    else:
        encodings = ("utf-8-sig", "gb18030")
    for enc in encodings:
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    return None


def iter_input_files(paths: Sequence[Path], report: Report) -> list[Path]:
    """Files as given plus input files found recursively in folders; sorted and unique.

    Folders yield .xlsx/.xlsm/.xls/.csv files, skipping Excel '~$' lock files and
    hidden dot files and folders. A missing path adds an 'input-not-found' problem.
    """
    found: set[Path] = set()
    for p in map(Path, paths):
        if p.is_dir():
            for root, dirs, files in os.walk(p):
                dirs[:] = [d for d in dirs if not d.startswith(".")]
                found.update(
                    Path(root) / f
                    for f in files
                    if not f.startswith(("~$", ".")) and f.lower().endswith(INPUT_EXTENSIONS)
                )
        elif p.exists():
            found.add(p)
        else:
            report.add(problem(p, "input-not-found", p, value=str(p), expected="存在的文件或文件夹"))
    return sorted(found)
