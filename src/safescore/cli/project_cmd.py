"""``safescore init`` and ``safescore run``: thin wrappers that app.py registers as commands.

They read nothing but their arguments, call :mod:`safescore.project`, print, and return the
exit code (SPEC 6), so the typer layer only has to ``raise typer.Exit(code)``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from rich.console import Console

from safescore.cli.output import emit_json, error_payload
from safescore.problems import Category, Problem
from safescore.project.config import CONFIG_NAME, ProjectError, find_config
from safescore.project.init import init_project
from safescore.project.run import EXIT_IO, EXIT_OK, EXIT_USAGE, RunOutcome, execute


def cmd_init(
    directory: Path, example: str | None, console: Console, *, quiet: bool = False, as_json: bool = False
) -> int:
    """Create the project folder ``directory``; 0 done, 2 bad example/existing config, 3 cannot write.

    With ``as_json`` stdout gets ``{"ok", "exit_code", "directory", "config", "files"}``
    (or the JSON error document); ``quiet`` prints only errors.
    """
    try:
        written = init_project(Path(directory), example)
    except ProjectError as exc:
        console.print(f"[bold red]{exc.message}[/bold red]")
        if as_json:
            category: Category = "io" if exc.exit_code == EXIT_IO else "usage"
            emit_json(error_payload(exc.exit_code, [Problem("init-failed", exc.message, category=category)]))
        return exc.exit_code
    config = Path(directory) / CONFIG_NAME
    if as_json:
        files = [str(p) for p in written]
        emit_json(
            {
                "ok": True,
                "exit_code": EXIT_OK,
                "directory": str(directory),
                "config": str(config),
                "files": files,
            }
        )
    if quiet or as_json:
        return EXIT_OK
    console.print(f"已创建项目 {directory}（{len(written)} 个文件和文件夹），配置文件 {config}")
    if example:
        console.print(f"运行示例：cd {directory} && safescore run")
    else:
        console.print(f"下一步：把评分细则放到 {Path(directory) / 'rubric.yaml'}，按需修改 {config}")
    return EXIT_OK


def _locate(config: Path | None) -> Path | None:
    if config is None:
        return find_config(Path.cwd())
    config = Path(config)
    return config / CONFIG_NAME if config.is_dir() else config


def cmd_run(
    config: Path | None,
    period: str | None,
    console: Console,
    quiet: bool,
    as_json: bool,
    wait: float = 0.0,
) -> int:
    """Run the project whose ``safescore.toml`` is ``config`` (a file or its folder; default: the
    nearest one from the current folder up). With ``as_json`` a summary goes to stdout."""
    path = _locate(config)
    if path is None:
        msg = f"当前文件夹及其上级文件夹中都没有 {CONFIG_NAME}；请在项目文件夹中运行，或先运行 safescore init"
        console.print(f"[bold red]{msg}[/bold red]")
        outcome = RunOutcome(EXIT_USAGE, "failed", msg)
    else:
        outcome = execute(path, period, console=console, quiet=quiet, wait=wait)
    if as_json:
        sys.stdout.write(json.dumps(outcome.to_dict(), ensure_ascii=False, indent=2) + "\n")
    return outcome.code
