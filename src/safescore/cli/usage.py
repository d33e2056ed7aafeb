"""Command-line parse errors (missing argument, unknown option, bad value) in Chinese, exit 2;
a :class:`~safescore.problems.SafescoreError` from the library as its Chinese messages, exit 2 or 3.

typer/click print these in English inside a panel. :class:`SafescoreGroup` runs the
command line in click's non-standalone mode and prints the same errors as one Chinese
line, the usage and where help is; under ``--json`` stdout gets the JSON error document
(see :mod:`safescore.cli.output`).
"""

from __future__ import annotations

import difflib
import re
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from safescore.cli.options import EXIT_IO, EXIT_USAGE
from safescore.cli.output import emit_json, error_payload
from safescore.problems import InputReadError, Problem, SafescoreError

try:  # typer >= 0.22 carries its own copy of click
    from typer._click import exceptions as click_exc
except ImportError:  # pragma: no cover - older typer depends on click
    import click.exceptions as click_exc  # type: ignore[no-redef]


def _hint(e: Any) -> str:
    """The parameter as the user types it: ``--unit`` or ``RUBRIC``."""
    param = getattr(e, "param", None)
    if param is None:
        return str(getattr(e, "param_hint", "") or "")
    if getattr(param, "param_type_name", "") == "argument":
        return str(getattr(param, "metavar", None) or (param.name or "").upper())
    return " / ".join(param.opts)


def usage_message(e: Exception) -> str:
    """One Chinese sentence for a click usage error (the detail click adds stays as it is)."""
    ctx = getattr(e, "ctx", None)
    text = str(getattr(e, "message", "") or e)
    if isinstance(e, click_exc.NoSuchOption):
        msg = f"没有选项 {e.option_name}"
        if e.possibilities:
            msg += f"（是不是：{'、'.join(sorted(e.possibilities))}）"
        return msg
    if isinstance(e, click_exc.MissingParameter):
        kind = "参数" if getattr(e.param, "param_type_name", "") == "argument" else "选项"
        return f"缺少{kind} {_hint(e)}"
    if isinstance(e, click_exc.BadParameter):
        return f"{_hint(e)} 的值无效：{text}"
    if isinstance(e, click_exc.BadOptionUsage):
        if "requires an argument" in text:
            return f"选项 {e.option_name} 后面需要一个值"
        return f"选项 {e.option_name} 用法有误：{text}"
    m = re.match(r"No such command '(.+?)'", text)
    if m:
        msg = f"没有命令 {m.group(1)}"
        commands = sorted(getattr(getattr(ctx, "command", None), "commands", {}) or {})
        close = difflib.get_close_matches(m.group(1), commands)
        if close:
            msg += f"（是不是：{'、'.join(close)}）"
        elif commands:
            msg += f"；可用的命令：{'、'.join(commands)}"
        return msg
    m = re.match(r"Got unexpected extra argument(?:s|\(s\))? \((.*)\)", text)
    if m:
        return f"多余的参数：{m.group(1)}"
    return text


class SafescoreGroup(TyperGroup):
    """The root command: click usage errors become Chinese messages (exit 2)."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        argv = list(sys.argv[1:] if args is None else args)
        try:
            code = super().main(argv, prog_name, complete_var, standalone_mode=False, **extra)
        except click_exc.NoArgsIsHelpError as e:  # a bare `safescore` or `safescore history`: the help
            e.show()
            sys.exit(e.exit_code)
        except click_exc.UsageError as e:
            _usage_exit(e, argv, self, as_json="--json" in argv)
        except SafescoreError as e:  # the library stopped: a bad setting, an unreadable file
            _stopped_exit(e, as_json="--json" in argv)
        except click_exc.ClickException as e:  # pragma: no cover - not raised by our parameters
            e.show()
            sys.exit(e.exit_code)
        except typer.Abort:
            Console(stderr=True).print("[bold red]已中止。[/bold red]")
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


def _stopped_exit(e: SafescoreError, *, as_json: bool) -> NoReturn:
    code = EXIT_IO if isinstance(e, InputReadError) else EXIT_USAGE
    Console(stderr=True).print(
        "[bold red]" + escape("；".join(p.message for p in e.problems)) + "[/bold red]"
    )
    if as_json:
        emit_json(error_payload(code, e.problems))
    sys.exit(code)


def _command_path(argv: list[str], root: Any) -> str:
    """``safescore history show`` from the words of ``argv`` that name commands."""
    words, cmd = ["safescore"], root
    for arg in argv:
        sub = getattr(cmd, "commands", {}).get(arg)
        if sub is None:
            break
        words.append(arg)
        cmd = sub
    return " ".join(words)


def _usage_exit(e: Exception, argv: list[str], root: Any, *, as_json: bool) -> NoReturn:
    message = usage_message(e)
    err = Console(stderr=True)
    err.print(f"[bold red]用法错误：[/bold red]{escape(message)}")
    ctx = getattr(e, "ctx", None)
    if ctx is not None:
        err.print(escape(ctx.get_usage().replace("Usage: ", "用法：", 1)), highlight=False)
    path = ctx.command_path if ctx is not None else _command_path(argv, root)
    err.print(f"查看帮助：{escape(path)} --help", highlight=False)
    if as_json:
        emit_json(error_payload(EXIT_USAGE, [Problem("usage-error", message, category="usage")]))
    sys.exit(EXIT_USAGE)
