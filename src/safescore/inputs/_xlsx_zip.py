"""Zip-level reading and checks of an OOXML package, before any part is parsed.

Every part that calamine alone reads gets a prolog check: a DOCTYPE or ENTITY can
only come before the root element, so the bytes up to the end of the root's start
tag are enough to refuse an XML bomb or an external entity (SPEC 9) without
parsing, and only those bytes are inflated (a 90 KB sheet nobody reads costs a
few hundred bytes). A shared-strings part claiming more strings than it can hold
is refused too (calamine reserves room for all of them first).

:class:`Package` reads parts of a zip held in memory: zipfile's per-part cost
(a file object, a header re-read, a CRC object) is most of the time of a small
part. Anything it does not expect (another compression, a header that disagrees
with the directory, a bad CRC, a short file) goes through zipfile, so errors are
zipfile's own.
"""

from __future__ import annotations

import html
import re
import struct
import zipfile
import zlib
from collections.abc import Collection
from typing import Protocol

_PROLOG_LIMIT = 1 << 20
_FIRST_READ = 1024  # a prolog and root start tag fit in this, save for hostile parts
_UTF16_READ = 65536  # UTF-16 parts are read once, as before: NULs are stripped, not decoded
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")  # zipfile.structFileHeader
_SIMPLE_FLAGS = 0x80E  # deflate options, data descriptor, UTF-8 names: nothing to handle here
_INPUT_STEP = 16384


class Readable(Protocol):
    """A binary stream as far as :func:`_prolog` uses one (a zipfile part, a :class:`_PartReader`)."""

    def read(self, n: int = -1, /) -> bytes: ...

    def close(self) -> None: ...


class Package:
    """A zip (OOXML or ODS package) for reading parts: ``zf`` and, if held in memory, its bytes."""

    def __init__(self, zf: zipfile.ZipFile, data: bytes | None = None):
        self.zf, self.data = zf, data

    def _span(self, info: zipfile.ZipInfo) -> tuple[int, int] | None:
        """(start, end) of the part's compressed bytes in ``data``, or None to use zipfile."""
        data = self.data
        if (
            data is None
            or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
            or info.flag_bits & ~_SIMPLE_FLAGS
        ):
            return None
        off = info.header_offset
        if off < 0 or off + _LOCAL_HEADER.size > len(data):
            return None
        sig, _, _, flags, _, _, _, _, _, _, n_name, n_extra = _LOCAL_HEADER.unpack_from(data, off)
        start = off + _LOCAL_HEADER.size + n_name + n_extra
        end = start + info.compress_size
        name = data[off + _LOCAL_HEADER.size : off + _LOCAL_HEADER.size + n_name]
        end_offset = getattr(info, "_end_offset", None)  # zipfile's overlap check, where it has one
        if sig != b"PK\x03\x04" or end > len(data) or (end_offset is not None and end > end_offset):
            return None
        try:
            if name.decode("utf-8" if flags & 0x800 else "cp437") != info.orig_filename:
                return None
        except UnicodeDecodeError:
            return None
        return start, end

    def read(self, info: zipfile.ZipInfo) -> bytes:
        """The whole part, CRC-checked; zipfile's exception for a broken one."""
        span = self._span(info) if info.file_size else None
        if span is None or self.data is None:
            return self.zf.read(info)
        comp = self.data[span[0] : span[1]]
        if info.compress_type == zipfile.ZIP_STORED:
            out = comp[: info.file_size]
        else:  # never more than the declared size (a bomb stops there; the size guard bounds it)
            out = zlib.decompressobj(-15).decompress(comp, info.file_size)
        if len(out) != info.file_size or zlib.crc32(out) != info.CRC:
            return self.zf.read(info)  # raises as zipfile does (bad CRC, truncated data)
        return out

    def stream(self, info: zipfile.ZipInfo) -> Readable:
        """A reader of the part's inflated bytes that inflates only what is read."""
        span = self._span(info)
        if span is None or self.data is None:
            return self.zf.open(info)
        return _PartReader(self.data, span, info.file_size, info.compress_type == zipfile.ZIP_DEFLATED)


class _PartReader:
    """Just enough of a binary stream for :func:`_prolog`: read(n) gives n bytes unless at the end.

    As zipfile does, no more than the declared size is returned; the CRC is not
    checked (the part is not read to its end).
    """

    def __init__(self, data: bytes, span: tuple[int, int], size: int, deflated: bool):
        self._data, (self._pos, self._end), self._left = data, span, size
        self._inflate = zlib.decompressobj(-15) if deflated else None

    def read(self, n: int = -1) -> bytes:
        if n < 0:
            n = self._left
        out: list[bytes] = []
        want = min(n, self._left)
        while want > 0:
            if self._inflate is None:
                chunk = self._data[self._pos : min(self._end, self._pos + want)]
                self._pos += len(chunk)
            else:
                feed = self._inflate.unconsumed_tail
                if not feed:
                    feed = self._data[self._pos : min(self._end, self._pos + _INPUT_STEP)]
                    self._pos += len(feed)
                if not feed:
                    break
                chunk = self._inflate.decompress(feed, want)
                if self._inflate.eof:
                    self._end = self._pos  # nothing after the end of the deflate stream
            if not chunk and (self._inflate is None or self._pos >= self._end):
                break
            out.append(chunk)
            want -= len(chunk)
            self._left -= len(chunk)
        return b"".join(out)

    def close(self) -> None:
        """Nothing to release (the bytes belong to the Package)."""


def prolog_is_unsafe(stream: Readable, limit: int = _PROLOG_LIMIT) -> bool:
    """True if the XML prolog declares a DOCTYPE/ENTITY (or is absurdly long).

    A DOCTYPE may only come before the root element, but comments and PIs may
    precede it, so the prolog is walked rather than sniffing the first bytes.
    """
    return _prolog(stream, limit)[0]


_SPACE = re.compile(rb"[ \t\r\n]*")
# The root's start tag: a name, then attributes whose quoted values may hold '>'.
_START_TAG = re.compile(rb"""<[^\s/>]+(?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*\s*/?>""")


def _prolog(stream: Readable, limit: int = _PROLOG_LIMIT) -> tuple[bool, bytes]:
    """(unsafe, the root element's start tag) of an XML part; see prolog_is_unsafe.

    Reads from ``stream`` only as far as the end of the root's start tag (about a
    kilobyte), up to ``limit`` bytes. The tag is as much of it as was read if it
    never ends (a binary part, or a start tag longer than ``limit``).
    """
    buf = stream.read(_FIRST_READ)
    utf16 = buf.startswith((b"\xff\xfe", b"\xfe\xff"))

    def more() -> bool:
        nonlocal buf
        chunk = stream.read(max(len(buf), _FIRST_READ)) if len(buf) < limit and not utf16 else b""
        buf += chunk
        return bool(chunk)

    if utf16:
        buf = (buf + stream.read(_UTF16_READ - len(buf)))[2:].replace(b"\x00", b"")  # markup is ASCII
    pos = 0
    while True:
        while True:  # skip whitespace, reading on until 16 bytes follow it (or the part ends)
            while len(buf) - pos < 16 and more():
                pass
            pos = _SPACE.match(buf, pos).end()  # type: ignore[union-attr]
            if len(buf) - pos >= 16 or not more():
                break
        if pos >= len(buf) and len(buf) >= limit:
            return True, b""  # a prolog this long is itself hostile
        if buf.startswith(b"\xef\xbb\xbf", pos):
            pos += 3
            continue
        if buf.startswith((b"<?", b"<!--"), pos):
            mark = b"?>" if buf.startswith(b"<?", pos) else b"-->"
            end = buf.find(mark, pos + 2)
            while end < 0 and more():
                end = buf.find(mark, pos + 2)
            if end < 0:
                return len(buf) >= limit, b""  # a prolog this long is itself hostile
            pos = end + len(mark)
            continue
        if buf.startswith(b"<!", pos):
            return True, b""
        if not buf.startswith(b"<", pos):
            return False, buf[pos : pos + 16]  # not XML (an image): nothing more to see
        # the whole start tag: the shared-strings check reads its attributes
        while (tag := _START_TAG.match(buf, pos)) is None and more():
            pass
        return False, tag.group() if tag else buf[pos:]


_SST_ROOT = re.compile(rb"<(?:[\w.-]+:)?sst[\s/>]")
_UNIQUE_COUNT = re.compile(rb"""uniqueCount\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def _check_shared_strings(info: zipfile.ZipInfo, tag: bytes) -> None:
    """calamine reserves room for ``<sst uniqueCount>`` strings before reading one: 4294967295
    asked it for 103 GB and aborted the process. Each string takes at least 5 bytes (``<si/>``),
    so a count the part cannot hold is a lie: ValueError (the file is refused as corrupt)."""
    if not _SST_ROOT.match(tag):
        return
    for m in _UNIQUE_COUNT.finditer(tag):
        text = html.unescape((m.group(1) or m.group(2) or b"").decode("utf-8", "replace")).strip()
        if text.isdecimal() and int(text) > info.file_size // 5 + 1:
            raise ValueError(f"{info.filename} 声明 {text} 个共享字符串，但它只有 {info.file_size} 字节")


def first_unsafe_part(pkg: Package, skip: Collection[str] = ()) -> str | None:
    """Name of the first part (not in ``skip``) whose prolog declares a DOCTYPE/ENTITY.

    Every part is checked whatever its name: relationships may point calamine at a
    part called ``strings.bin``. Binary parts (images) never start with ``<!``.
    A shared-strings part claiming more strings than it can hold raises ValueError.
    """
    for info in pkg.zf.infolist():
        if info.filename in skip or info.is_dir():
            continue
        fh = pkg.stream(info)
        try:
            unsafe, tag = _prolog(fh)
        finally:
            fh.close()
        if unsafe:
            return info.filename
        _check_shared_strings(info, tag)
    return None


def read_part(pkg: Package, name: str, max_bytes: int) -> bytes | None:
    """The part called ``name``, or None if there is none or it is bigger than ``max_bytes``."""
    try:
        info = pkg.zf.getinfo(name)
    except KeyError:
        return None
    return pkg.read(info) if info.file_size <= max_bytes else None


def normpath(path: str) -> str:
    """A part path with '.' and '..' resolved (never above the package root)."""
    parts: list[str] = []
    for p in path.split("/"):
        if p == "..":
            if parts:
                parts.pop()
        elif p not in ("", "."):
            parts.append(p)
    return "/".join(parts)
