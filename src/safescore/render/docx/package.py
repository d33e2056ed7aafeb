"""Reproducible .docx packaging: pinned core properties, a hand-written zip with fixed dates.

Equal documents give byte-identical files under SOURCE_DATE_EPOCH.
"""

from __future__ import annotations

import datetime as dt
import io
import struct
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

from docx.document import Document as DocumentObject
from docx.oxml.ns import qn

from safescore.render.docx.blocks import clean
from safescore.render.files import build_time


def stamp_core(doc: DocumentObject, when: dt.datetime, *, title: str, author: str) -> None:
    """Pin the core properties: same inputs and SOURCE_DATE_EPOCH give the same bytes."""
    cp = doc.core_properties
    cp.created = when
    cp.modified = when
    cp.title = clean(title)[:250]
    cp.author = clean(author)[:250]
    cp.last_modified_by = "safescore"
    cp.comments = ""
    cp.revision = 1
    el = cp._element
    printed = el.find(qn("cp:lastPrinted"))
    if printed is not None:  # a template's print date is not this document's
        el.remove(printed)


def doc_parts(doc: DocumentObject) -> list[tuple[str, bytes]]:
    """The package's parts in python-docx's (deterministic) order, as (zip name, bytes)."""
    buf = io.BytesIO()
    doc.save(buf)
    with zipfile.ZipFile(buf) as z:
        return [(i.filename, z.read(i)) for i in z.infolist()]


STORED_SUFFIXES = (".png", ".jpeg", ".jpg")


@dataclass(frozen=True)
class Entry:
    """A zip member, compressed once: constant parts are reused for every letter."""

    name: bytes
    crc: int
    size: int
    data: bytes  # raw deflate stream, or the bytes themselves when stored
    method: int = 8  # 8 deflated, 0 stored

    @classmethod
    def of(cls, name: str, raw: bytes) -> Entry:
        if name.endswith(STORED_SUFFIXES):
            return cls.stored(name, raw)
        c = zlib.compressobj(6, zlib.DEFLATED, -15)
        return cls(name.encode("utf-8"), zlib.crc32(raw), len(raw), c.compress(raw) + c.flush())

    @classmethod
    def stored(cls, name: str, raw: bytes) -> Entry:
        """A member kept as it is: pictures are compressed already, deflating them again only costs."""
        return cls(name.encode("utf-8"), zlib.crc32(raw), len(raw), raw, 0)


_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_END = struct.Struct("<IHHHHIIH")


def zip_bytes(entries: Iterable[Entry], when: dt.datetime) -> bytes:
    """A plain deflated zip with one fixed date on every member and members in the given order.

    Written by hand rather than with :mod:`zipfile` so already-compressed members are copied,
    not compressed again (the letters' fast path), and no wall-clock time gets in.
    """
    y = max(when.year, 1980)
    dos_time = (when.hour << 11) | (when.minute << 5) | (when.second // 2)
    dos_date = ((y - 1980) << 9) | (when.month << 5) | when.day
    out: list[bytes] = []
    central: list[bytes] = []
    offset = 0
    count = 0
    for e in entries:
        flags = 0 if e.name.isascii() else 0x800
        if len(e.data) >= 0xFFFFFFFF or e.size >= 0xFFFFFFFF:
            raise ValueError("document part too large for a zip without ZIP64")
        head = _LOCAL.pack(
            0x04034B50, 20, flags, e.method, dos_time, dos_date, e.crc, len(e.data), e.size, len(e.name), 0
        )
        central.append(
            _CENTRAL.pack(
                0x02014B50,
                (3 << 8) | 20,
                20,
                flags,
                e.method,
                dos_time,
                dos_date,
                e.crc,
                len(e.data),
                e.size,
                len(e.name),
                0,
                0,
                0,
                0,
                0o600 << 16,
                offset,
            )
            + e.name
        )
        out += (head, e.name, e.data)
        offset += len(head) + len(e.name) + len(e.data)
        count += 1
    cd = b"".join(central)
    out.append(cd)
    out.append(_END.pack(0x06054B50, 0, 0, count, count, len(cd), offset, 0))
    return b"".join(out)


def package(doc: DocumentObject, when: dt.datetime) -> bytes:
    """python-docx's package re-zipped with fixed dates: byte-identical for equal documents."""
    return zip_bytes((Entry.of(n, b) for n, b in doc_parts(doc)), when)


def stamp() -> dt.datetime:
    """SOURCE_DATE_EPOCH when set, else now (UTC, whole seconds)."""
    return build_time()
