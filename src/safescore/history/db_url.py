"""Which history database to use (SPEC 6, 7).

Order: ``--db URL`` on the command line, else the environment variable
``SAFESCORE_DB``, else ``[history] url`` of the project config
(``safescore.toml`` in the current folder or the nearest parent), else
``safescore.db`` in the current folder.

A value containing ``://`` is an SQLAlchemy URL and is used as given
(``postgresql+psycopg://user:pw@host/db``); anything else is a plain path to a
SQLite file and becomes ``sqlite:////absolute/path``. A relative path is taken
from the folder it was given in: the current folder for ``--db`` and the
environment, the config file's folder for ``safescore.toml`` (so a project
config means the same file whichever subfolder cron runs in).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path

ENV_VAR = "SAFESCORE_DB"
CONFIG_NAME = "safescore.toml"
DEFAULT_FILE = "safescore.db"


class DbUrlError(ValueError):
    """The project config could not be read or names no usable URL (message in Chinese)."""


def is_url(value: str) -> bool:
    """True for an SQLAlchemy URL (``dialect[+driver]://…``), False for a plain file path."""
    head, sep, _ = value.partition("://")
    return bool(sep) and bool(head) and all(c.isalnum() or c in "+_-." for c in head)


def to_url(value: str, base: Path) -> str:
    """A URL as given; a plain path (relative to ``base``) as an absolute SQLite URL."""
    value = value.strip()
    if is_url(value):
        return value
    path = Path(value).expanduser()
    if not path.is_absolute():
        path = base / path
    return "sqlite:///" + path.resolve().as_posix()


def find_config(cwd: Path) -> Path | None:
    """``safescore.toml`` in ``cwd`` or the nearest parent folder, if any."""
    here = cwd.resolve()
    for folder in (here, *here.parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None


def config_history_url(config: Path) -> str | None:
    """The ``[history] url`` of a project config, resolved against the config's folder."""
    try:
        data = tomllib.loads(config.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise DbUrlError(f"项目配置 {config} 不是有效的 TOML：{exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DbUrlError(f"无法读取项目配置 {config}：{exc}") from None
    history = data.get("history")
    if history is None:
        return None
    if not isinstance(history, dict):
        raise DbUrlError(f"项目配置 {config} 中的 history 应为表（[history]）")
    url = history.get("url")
    if url is None:
        return None
    if not isinstance(url, str) or not url.strip():
        raise DbUrlError(f"项目配置 {config} 中的 [history] url 应为非空字符串")
    return to_url(url, config.parent)


def resolve_db_url(
    cli_db: str | None, *, cwd: Path | None = None, environ: Mapping[str, str] | None = None
) -> str:
    """The history database URL by the documented order (see the module docstring).

    Raises :class:`DbUrlError` only when a project config exists but is broken:
    silently falling back to another database would split the history in two.
    """
    base = Path.cwd() if cwd is None else Path(cwd)
    env = os.environ if environ is None else environ
    if cli_db is not None and cli_db.strip():
        return to_url(cli_db, base)
    from_env = env.get(ENV_VAR, "")
    if from_env.strip():
        return to_url(from_env, base)
    config = find_config(base)
    if config is not None:
        url = config_history_url(config)
        if url is not None:
            return url
    return to_url(DEFAULT_FILE, base)


def sqlite_path(url: str) -> Path | None:
    """The file behind a ``sqlite:///`` URL; None for other databases and in-memory SQLite."""
    from sqlalchemy.engine import make_url

    u = make_url(url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return None
    return Path(u.database)


def display_url(url: str) -> str:
    """What to show a person: the file path for SQLite, the URL with its password hidden otherwise."""
    from sqlalchemy.engine import make_url

    path = sqlite_path(url)
    if path is not None:
        return str(path)
    return make_url(url).render_as_string(hide_password=True)
