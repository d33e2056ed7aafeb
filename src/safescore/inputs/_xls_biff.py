"""Legacy .xls (OLE compound file + BIFF records): sheet extents before calamine opens the file.

calamine builds a legacy .xls sheet's dense grid as soon as the file is opened,
and follows compound-file sector chains without looking back, so :func:`check_xls`
walks the compound file and the BIFF records first, with every index checked.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Collection, Iterator
from pathlib import Path

from safescore.inputs._scan_base import Encrypted, SheetScan, TooLarge, check_extent
from safescore.limits import InputLimits, input_limits

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_FREESECT, _ENDOFCHAIN = 0xFFFFFFFF, 0xFFFFFFFE
# BIFF records that become cells in calamine (blanks do not): row, col first.
_XLS_CELLS = frozenset({0x0203, 0x0205, 0x00FD, 0x0204, 0x027E, 0x0006, 0x0206, 0x0406, 0x00D6})
_XLS_MULTI = 0x00BD  # MULRK: row, first col, ..., last col


class _Cfb:
    """Just enough of a compound file to read one stream, with every index checked.

    calamine follows sector chains without looking back: a DIFAT chain that points
    at itself makes it allocate until the machine runs out of memory (found by
    tests/test_fuzz_readers.py). Here header counts must fit the file, and every
    chain (DIFAT, FAT, directory, mini FAT, mini stream, every stream) must end
    inside the file without revisiting a sector another chain or itself used:
    anything else is a ValueError before calamine sees the file.
    """

    def __init__(self, data: bytes):
        if len(data) < 512 or not data.startswith(OLE_MAGIC):
            raise ValueError("不是 OLE 复合文档")
        self.data = data
        ssz_shift, mini_shift = struct.unpack_from("<HH", data, 0x1E)
        if (ssz_shift, mini_shift) not in ((9, 6), (12, 6)):
            raise ValueError("OLE 扇区大小无效")
        self.ssz, self.mini_ssz = 1 << ssz_shift, 1 << mini_shift
        n_fat, dir_start = struct.unpack_from("<II", data, 0x2C)
        self.cutoff, mini_fat_start, n_mini, difat_start, n_difat = struct.unpack_from("<5I", data, 0x38)
        self.n_sectors = (len(data) - 512 + self.ssz - 1) // self.ssz
        if max(n_fat, n_mini, n_difat) > self.n_sectors:
            raise ValueError("OLE 头部的扇区数超过文件大小")
        self.used: set[int] = set()
        difat = [s for s in struct.unpack_from("<109I", data, 0x4C) if s != _FREESECT]
        per = self.ssz // 4 - 1
        difat_sectors = self._walk(
            difat_start, lambda n: struct.unpack_from("<I", self._sector(n), 4 * per)[0]
        )
        if len(difat_sectors) > n_difat:
            raise ValueError("OLE DIFAT 链比头部声明的长")
        for sector in difat_sectors:
            difat += [s for s in struct.unpack_from(f"<{per}I", self._sector(sector)) if s != _FREESECT]
        fat_sectors = difat[:n_fat]
        if any(s >= self.n_sectors or s in self.used for s in fat_sectors) or len(set(fat_sectors)) < len(
            fat_sectors
        ):
            raise ValueError("OLE FAT 扇区号无效")
        self.used.update(fat_sectors)
        self.fat = b"".join(self._sector(s) for s in fat_sectors)
        self.dir = self._chain(dir_start)
        self.mini_fat = self._chain(mini_fat_start) if n_mini else b""
        self.entries = [self._entry(i) for i in range(0, len(self.dir) - 127, 128)]
        root = next((e for e in self.entries if e[1] == 5), None)
        self.mini = self._chain(root[2])[: root[3]] if root is not None and root[3] else b""
        self.mini_used: set[int] = set()
        self.streams: dict[str, bytes] = {}
        for name, kind, start, size in self.entries:
            if kind != 2:
                continue
            if size > len(data):
                raise ValueError("OLE 流的大小超过文件大小")
            if size < self.cutoff:
                blob = self._chain(start, mini=True)
            else:
                blob = self._chain(start)
            self.streams.setdefault(name.lower(), blob[:size])

    def _sector(self, n: int) -> bytes:
        off = 512 + n * self.ssz
        return self.data[off : off + self.ssz]

    def _walk(self, start: int, nxt: Callable[[int], int], mini: bool = False) -> list[int]:
        used = self.mini_used if mini else self.used
        bound = len(self.mini) // self.mini_ssz if mini else self.n_sectors
        out, n = [], start
        while n not in (_ENDOFCHAIN, _FREESECT):
            if n >= bound or n in used:
                raise ValueError("OLE 扇区链越界或有环")
            used.add(n)
            out.append(n)
            n = nxt(n)
        return out

    def _next(self, table: bytes, n: int) -> int:
        if 4 * n + 4 > len(table):
            raise ValueError("OLE 扇区链越界")
        return int(struct.unpack_from("<I", table, 4 * n)[0])

    def _chain(self, start: int, mini: bool = False) -> bytes:
        if mini:
            sectors = self._walk(start, lambda n: self._next(self.mini_fat, n), mini=True)
            return b"".join(self.mini[n * self.mini_ssz : (n + 1) * self.mini_ssz] for n in sectors)
        return b"".join(self._sector(n) for n in self._walk(start, lambda n: self._next(self.fat, n)))

    def _entry(self, i: int) -> tuple[str, int, int, int]:
        entry = self.dir[i : i + 128]
        name_len, kind = struct.unpack_from("<HB", entry, 64)
        start, size = struct.unpack_from("<IQ", entry, 116)
        if self.ssz == 512:
            size &= 0xFFFFFFFF  # version 3 files may leave junk in the high half
        name = entry[: max(0, min(name_len, 64) - 2)].decode("utf-16-le", "replace")
        return name, kind, start, size

    def stream(self, names: Collection[str]) -> bytes | None:
        """The first stream called one of ``names`` (any case), or None."""
        return next((self.streams[n.lower()] for n in names if n.lower() in self.streams), None)


def check_xls(path: Path, lim: InputLimits | None = None) -> dict[str, SheetScan]:
    """Extents of every sheet of a legacy .xls, from its BIFF records, before calamine opens it.

    calamine builds each sheet's dense grid when it opens the file (two cells at A1
    and IV65536 cost it a gigabyte), so a sheet beyond a cap of ``lim`` raises
    TooLarge for the whole file, as does a file bigger than ``lim.unzipped_bytes``.
    A compound file too broken to walk raises ValueError (calamine may loop on it
    until memory runs out), a password-protected one Encrypted. Sheets are keyed by
    name (decoded best-effort, for messages).
    """
    lim = lim or input_limits()
    size = path.stat().st_size
    if size > lim.unzipped_bytes:
        cap = f"上限 {lim.unzipped_bytes} 字节（SAFESCORE_MAX_UNZIPPED_MB）"
        raise TooLarge("file-too-large", str(size), str(size), lim.bytes_expected(), cap=cap)
    stream = _Cfb(path.read_bytes()).stream(("Workbook", "Book"))
    if stream is None:
        return {}
    return _scan_biff(stream, lim)


def _scan_biff(data: bytes, lim: InputLimits) -> dict[str, SheetScan]:
    # As calamine does: BOUNDSHEET records in the globals give each sheet's offset,
    # and a sheet is read from there to its EOF record. Sheets of a real file never
    # overlap, so more record steps in all than the stream can hold is refused.
    budget = [len(data) // 4 + 16]
    offsets: dict[int, str] = {}

    def walk(pos: int) -> Iterator[tuple[int, int, int]]:
        n = len(data)
        while pos + 4 <= n:
            budget[0] -= 1
            if budget[0] < 0:
                raise ValueError("BIFF 记录相互重叠")
            rtype, length = struct.unpack_from("<HH", data, pos)
            yield rtype, pos + 4, length
            if rtype == 0x000A:  # EOF
                return
            pos += 4 + length

    for rtype, body, length in walk(0):
        if rtype == 0x002F:  # FILEPASS: the rest of the stream is encrypted
            raise Encrypted("FILEPASS")
        if rtype == 0x0085 and length >= 8:  # BOUNDSHEET: the sheet's BOF offset, then its name
            offsets.setdefault(
                struct.unpack_from("<I", data, body)[0], _biff_name(data[body + 6 : body + length])
            )
    scans: dict[str, SheetScan] = {}
    for offset, name in offsets.items():
        scan = scans.setdefault(name, SheetScan())
        for rtype, body, length in walk(offset):
            if rtype == 0x0200 and length >= 10:
                _check_dimensions(data[body : body + length], lim, name)
            if length < 4 or not (rtype in _XLS_CELLS or rtype == _XLS_MULTI):
                continue
            row, col = struct.unpack_from("<HH", data, body)
            if rtype == _XLS_MULTI and length >= 6:
                col = struct.unpack_from("<H", data, body + length - 2)[0]
            if row > scan.max_row or col > scan.max_col:
                scan.max_row, scan.max_col = max(scan.max_row, row), max(scan.max_col, col)
                check_extent(scan, lim, name)
    return scans


def _check_dimensions(body: bytes, lim: InputLimits, sheet: str) -> None:
    """calamine reserves (last row + 1 - first row) x (last column + 1) cells from the DIMENSIONS
    record before reading any cell, in wrapping unsigned arithmetic: rows 0..65535 by columns
    0..65535 asked it for 171 GB and aborted the process (fuzz finding 2)."""
    if len(body) >= 14:  # BIFF8: first row, last row + 1 (u32), first column, last column + 1 (u16)
        r1, r2, c1, c2 = struct.unpack_from("<IIHH", body)
        rows = (r2 - r1) & 0xFFFFFFFF
    else:  # BIFF5: all u16
        r1, r2, c1, c2 = struct.unpack_from("<HHHH", body)
        rows = (r2 - r1) & 0xFFFF
    cols = max(c2, (c2 - c1) & 0xFFFF)
    if rows * cols > lim.cells:
        raise TooLarge(
            "sheet-too-large",
            f"声明 {rows} 行 × {cols} 列（共 {rows * cols} 个单元格）",
            f"{rows}x{cols}",
            lim.sheet_expected(),
            sheet,
            f"上限 {lim.cells} 个单元格（SAFESCORE_MAX_CELLS）",
        )


def _biff_name(raw: bytes) -> str:
    # BIFF8: length, flags (bit 0: UTF-16), characters; BIFF5: length, bytes in the codepage.
    if len(raw) < 2:
        return ""
    n, flags = raw[0], raw[1]
    if flags in (0, 1) and len(raw) >= 2 + n * (2 if flags else 1):
        body = raw[2 : 2 + n * (2 if flags else 1)]
        return body.decode("utf-16-le" if flags else "latin-1", "replace")
    return raw[1 : 1 + n].decode("gb18030", "replace")
