"""Printing and exit codes: where human text and JSON go, and how a failed command ends.

With ``--json`` stdout carries exactly one JSON document and everything human goes
to stderr. A command that fails (exit 2 or 3) under ``--json`` still prints one:
``{"ok": false, "exit_code": N, "format": "safescore.validation/1", "counts", "by_code",
"problems": [...]}``, the same shape as ``validation.json``, so a script can always parse stdout.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import typer
from rich.console import Console

from safescore.cli.options import EXIT_IO, EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE
from safescore.problems import Category, Problem
from safescore.results.model import Result


def emit_json(obj: Any) -> None:
    """Print ``obj`` as indented UTF-8 JSON on stdout (the only stdout of a ``--json`` run)."""
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2) + "\n")


def error_payload(exit_code: int, problems: Sequence[Problem]) -> dict[str, Any]:
    """The JSON a failed command prints under ``--json``: its exit code and its problems."""
    from safescore.render.jsonout import validation_dict

    return {"ok": False, "exit_code": exit_code, **validation_dict(list(problems))}


def make_console(as_json: bool) -> Console:
    """The console for human text: stderr under ``--json``, so stdout carries only JSON."""
    return Console(stderr=True) if as_json else Console()


@dataclass
class Out:
    """Where one command writes: the console for people, stdout JSON for scripts."""

    console: Console
    as_json: bool = False
    quiet: bool = False

    @classmethod
    def make(cls, as_json: bool, quiet: bool = False) -> Out:
        """The output of a command run with (or without) ``--json`` and ``--quiet``."""
        return cls(make_console(as_json), as_json, quiet)

    @property
    def chatty(self) -> bool:
        """Whether progress and confirmations are shown (not under --quiet or --json)."""
        return not (self.quiet or self.as_json)

    def json(self, obj: Any) -> None:
        """Print the command's JSON result (only under ``--json``)."""
        if self.as_json:
            emit_json(obj)

    def fail(
        self,
        exit_code: int,
        code: str,
        message: str,
        *,
        category: Category,
        heading: str = "",
        file: str | None = None,
    ) -> typer.Exit:
        """Print one Chinese error (and its JSON under ``--json``); the caller raises the result."""
        self.console.print(
            f"[bold red]{heading}[/bold red]{message}" if heading else f"[bold red]{message}[/bold red]"
        )
        if self.as_json:
            problem = Problem(code, message, category=category, file=file)
            emit_json(error_payload(exit_code, [problem]))
        return typer.Exit(exit_code)

    def usage(self, message: str, code: str = "usage-error") -> typer.Exit:
        """Bad usage (exit 2): a wrong option value, an unknown unit, item or source."""
        return self.fail(EXIT_USAGE, code, message, category="usage", heading="用法错误：")

    def io(self, message: str, code: str, file: str | None = None) -> typer.Exit:
        """Could not read or write (exit 3)."""
        return self.fail(EXIT_IO, code, message, category="io", file=file)

    def problems(self, exit_code: int, problems: Sequence[Problem]) -> None:
        """Under ``--json``, the problems that stopped a command (the terminal report is the caller's)."""
        if self.as_json:
            emit_json(error_payload(exit_code, problems))


def check_lang(lang: str, out: Out) -> str:
    """``--lang`` must name a language the renderers know (exit 2 otherwise)."""
    from safescore.render.i18n import LANGS

    if lang not in LANGS:
        raise out.usage(f"--lang 只能是 {'、'.join(LANGS)}，得到 {lang}", code="bad-lang")
    return lang


def result_exit_code(result: Result) -> int:
    """1 when the result has errors or units that sent nothing, else 0."""
    if result.errors or result.not_submitted:
        return EXIT_PROBLEMS
    return EXIT_OK
