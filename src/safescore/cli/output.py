"""Printing and exit codes: where human text and JSON go, and how a usage error ends a command."""

from __future__ import annotations

import json
import sys
from typing import Any

import typer
from rich.console import Console

from safescore.cli.options import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE
from safescore.results.model import Result


def make_console(as_json: bool) -> Console:
    """The console for human text: stderr under ``--json``, so stdout carries only JSON."""
    return Console(stderr=True) if as_json else Console()


def emit_json(obj: Any) -> None:
    """Print ``obj`` as indented UTF-8 JSON on stdout (the only stdout of a ``--json`` run)."""
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2) + "\n")


def usage_error(console: Console, message: str) -> typer.Exit:
    """Print a Chinese usage error; the caller raises the returned exit (code 2)."""
    console.print(f"[bold red]用法错误：[/bold red]{message}")
    return typer.Exit(EXIT_USAGE)


def check_lang(lang: str, console: Console) -> str:
    """``--lang`` must name a language the renderers know (exit 2 otherwise)."""
    from safescore.render.i18n import LANGS

    if lang not in LANGS:
        raise usage_error(console, f"--lang 只能是 {'、'.join(LANGS)}，得到 {lang}")
    return lang


def result_exit_code(result: Result) -> int:
    """1 when the result has errors or units that sent nothing, else 0."""
    if result.errors or result.not_submitted:
        return EXIT_PROBLEMS
    return EXIT_OK
