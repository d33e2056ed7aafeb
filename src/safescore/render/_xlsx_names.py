"""Names of generated files and sheets: safe on every filesystem, unique, Chinese kept intact."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

_MAX_NAME_BYTES = 120  # leaves room for "-NN.xlsx" under every filesystem's 255-byte limit
# Windows device names, also with a superscript digit or 0 (Windows 11 treats those as devices too)
_RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"} | {
    f"{p}{i}" for p in ("COM", "LPT") for i in "0123456789¹²³"
}
_BAD_CHARS = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')


def safe_filename(name: str) -> str:
    """A file name stem that is safe on Windows, macOS and Linux and keeps Chinese intact.

    Path separators, ``..``, control and Windows-forbidden characters become ``_``;
    Windows device names (CON, COM1 …) get a leading ``_``; trailing dots and spaces
    go; the result is capped at 120 UTF-8 bytes and is never empty.

    >>> safe_filename("../../etc/passwd")
    'etc_passwd'
    """
    text = unicodedata.normalize("NFC", name)
    text = re.sub(r"\s+", " ", text)  # wrapped cells put newlines inside names
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf"))
    text = _BAD_CHARS.sub("_", text)
    text = re.sub(r"\.{2,}", "_", text)
    text = re.sub(r"_{2,}", "_", text).strip(" ._")
    if text.split(".")[0].strip().upper() in _RESERVED:
        text = "_" + text
    while len(text.encode("utf-8")) > _MAX_NAME_BYTES:
        text = text[:-1]
    return text.rstrip(" .") or "未命名"


def unique_path(out_dir: Path, stem: str, used: set[str]) -> Path:
    """``out_dir/stem.xlsx``, or ``stem-2.xlsx`` … when taken (compared without case, as Windows does)."""
    candidate, n = stem, 1
    while candidate.casefold() in used:
        n += 1
        candidate = f"{stem}-{n}"
    used.add(candidate.casefold())
    return out_dir / f"{candidate}.xlsx"


def sheet_title(text: str, used: set[str]) -> str:
    """A valid, unique Excel sheet name: at most 31 characters, none of ``[]:*?/\\``."""
    base = re.sub(r"[\[\]:*?/\\]", "_", text).strip("'")[:28] or "Sheet"
    name, n = base, 1
    while name.casefold() in used:
        n += 1
        name = f"{base}{n}"
    used.add(name.casefold())
    return name
