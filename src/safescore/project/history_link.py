"""The project's history database: where it is, last period's ranks, storing a period."""

from __future__ import annotations

import io
import json
import logging
import os
from pathlib import Path
from typing import Any

from rich.console import Console

from safescore.project.config import ProjectConfig

log = logging.getLogger("safescore.project")


def history_url(cfg: ProjectConfig) -> str:
    """The resolved SQLAlchemy URL of :func:`history_db`."""
    from safescore.history.db_url import resolve_db_url

    return resolve_db_url(history_db(cfg), cwd=cfg.root)


def history_db(cfg: ProjectConfig) -> str | None:
    """The history database for this project, independent of the folder cron starts in.

    ``[history] url`` (relative paths from the project folder), else ``$SAFESCORE_DB`` (None lets
    the history module read it), else ``safescore.db`` in the project folder.
    """
    if cfg.history.url:
        from safescore.history.db_url import to_url

        return to_url(cfg.history.url, cfg.root)
    if os.environ.get("SAFESCORE_DB"):
        return None
    return str(cfg.root / "safescore.db")


def _history() -> Any:
    """The history helpers, or None when this installation has no history module."""
    try:
        from safescore.cli import history_cmd
    except ImportError:
        return None
    return history_cmd


def with_previous_period(result: Any, cfg: ProjectConfig) -> Any:
    """``result`` with last period's ranks (▲/▼ in the bulletin) and each unit's earlier periods
    (the trend charts), when history has them."""
    hist = _history()
    if hist is None:
        return result
    from safescore.history.trend import history_for
    from safescore.results.previous import with_history, with_previous

    db = history_db(cfg)
    result = with_previous(result, hist.previous_for(result, db, False))
    return with_history(result, history_for(result, db))


def store_history(result: Any, out: Path, cfg: ProjectConfig, console: Console, quiet: bool) -> str | None:
    """Store the period in the history database; an error text, or None when stored or skipped."""
    hist = _history()
    if hist is None:
        log.info("历史库模块不可用，跳过存入历史")
        return None
    try:
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return f"无法读取 {out / 'manifest.json'}：{exc}"
    # It prints its own one-line reason on failure and returns None then (never raises); capture
    # the text so the reason reaches the log file as well as the officer.
    buf = io.StringIO()
    url = hist.store_after_score(
        result, manifest, history_db(cfg), False, Console(file=buf, width=200), quiet=quiet
    )
    said = buf.getvalue().strip()
    if said:
        console.print(said, markup=False, highlight=False)
    if url is None:
        return said or "原因不明"
    from safescore.history.db_url import display_url

    log.info("已存入历史库 %s", display_url(url))
    return None
