"""Zip-level checks of an OOXML package, before any part is parsed.

Every part that calamine alone reads gets a prolog check: a DOCTYPE or ENTITY can
only come before the root element, so the bytes up to the root's start are
enough to refuse an XML bomb or an external entity (SPEC 9) without parsing.
A shared-strings part claiming more strings than it can hold is refused too
(calamine reserves room for all of them first).
"""

from __future__ import annotations

import html
import re
import zipfile
from collections.abc import Collection
from typing import IO

_PROLOG_LIMIT = 1 << 20


def prolog_is_unsafe(stream: IO[bytes], limit: int = _PROLOG_LIMIT) -> bool:
    """True if the XML prolog declares a DOCTYPE/ENTITY (or is absurdly long).

    A DOCTYPE may only come before the root element, but comments and PIs may
    precede it, so the prolog is walked rather than sniffing the first bytes.
    """
    return _prolog(stream, limit)[0]


def _prolog(stream: IO[bytes], limit: int = _PROLOG_LIMIT) -> tuple[bool, bytes]:
    """(unsafe, the first bytes of the root element) of an XML part; see prolog_is_unsafe."""
    buf = stream.read(65536)
    utf16 = buf.startswith((b"\xff\xfe", b"\xfe\xff"))

    def more() -> bool:
        nonlocal buf
        chunk = stream.read(65536) if len(buf) < limit else b""
        buf += chunk
        return bool(chunk)

    if utf16:
        buf = buf[2:].replace(b"\x00", b"")  # markup is ASCII: drop the UTF-16 NULs
    pos = 0
    while True:
        while len(buf) - pos < 16 and not utf16 and more():
            pass
        while pos < len(buf) and buf[pos] in b" \t\r\n":
            pos += 1
        if buf.startswith(b"\xef\xbb\xbf", pos):
            pos += 3
            continue
        if buf.startswith((b"<?", b"<!--"), pos):
            mark = b"?>" if buf.startswith(b"<?", pos) else b"-->"
            end = buf.find(mark, pos + 2)
            while end < 0 and not utf16 and more():
                end = buf.find(mark, pos + 2)
            if end < 0:
                return len(buf) >= limit, b""  # a prolog this long is itself hostile
            pos = end + len(mark)
            continue
        return buf.startswith(b"<!", pos), buf[pos : pos + 4096]


_SST_ROOT = re.compile(rb"<(?:[\w.-]+:)?sst[\s/>]")
_UNIQUE_COUNT = re.compile(rb"""uniqueCount\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def _check_shared_strings(info: zipfile.ZipInfo, root: bytes) -> None:
    """calamine reserves room for ``<sst uniqueCount>`` strings before reading one: 4294967295
    asked it for 103 GB and aborted the process. Each string takes at least 5 bytes (``<si/>``),
    so a count the part cannot hold is a lie: ValueError (the file is refused as corrupt)."""
    if not _SST_ROOT.match(root):
        return
    tag = root[: root.find(b">") + 1 or len(root)]
    for m in _UNIQUE_COUNT.finditer(tag):
        text = html.unescape((m.group(1) or m.group(2) or b"").decode("utf-8", "replace")).strip()
        if text.isdecimal() and int(text) > info.file_size // 5 + 1:
            raise ValueError(f"{info.filename} 声明 {text} 个共享字符串，但它只有 {info.file_size} 字节")


def first_unsafe_part(zf: zipfile.ZipFile, skip: Collection[str] = ()) -> str | None:
    """Name of the first part (not in ``skip``) whose prolog declares a DOCTYPE/ENTITY.

    Every part is checked whatever its name: relationships may point calamine at a
    part called ``strings.bin``. Binary parts (images) never start with ``<!``.
    A shared-strings part claiming more strings than it can hold raises ValueError.
    """
    for info in zf.infolist():
        if info.filename in skip or info.is_dir():
            continue
        with zf.open(info) as fh:
            unsafe, root = _prolog(fh)
        if unsafe:
            return info.filename
        _check_shared_strings(info, root)
    return None


def read_part(zf: zipfile.ZipFile, name: str, max_bytes: int) -> bytes | None:
    try:
        info = zf.getinfo(name)
    except KeyError:
        return None
    return zf.read(info) if info.file_size <= max_bytes else None


def normpath(path: str) -> str:
    parts: list[str] = []
    for p in path.split("/"):
        if p == "..":
            if parts:
                parts.pop()
        elif p not in ("", "."):
            parts.append(p)
    return "/".join(parts)
