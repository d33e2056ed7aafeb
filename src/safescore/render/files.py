"""Atomic writes (a temp file in the target folder, then rename) and the build time stamped into files."""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from pathlib import Path
from typing import Any


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so readers see the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        # mkstemp creates 0600; outputs are documents for others to read, so honour the umask instead
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def json_bytes(obj: Any) -> bytes:
    """Stable, human-readable JSON (UTF-8, sorted nowhere: order is meaningful)."""
    return (json.dumps(obj, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def source_epoch() -> int | None:
    """SOURCE_DATE_EPOCH as a number when it is set to one (reproducible builds), else None."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    return int(epoch) if epoch.isdigit() else None


def build_time() -> dt.datetime:
    """The stamp written into files (naive UTC, whole seconds): SOURCE_DATE_EPOCH when set, else now."""
    epoch = source_epoch()
    if epoch is not None:
        return dt.datetime.fromtimestamp(epoch, dt.UTC).replace(tzinfo=None)
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
