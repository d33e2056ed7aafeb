"""Rich terminal views: ranking tables per group, the problem report, one unit's account."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from safescore.engine.reasons import fmt
from safescore.problems import SEVERITY_LABEL, Problem
from safescore.render.i18n import Catalog, tr
from safescore.results.model import Result, UnitResult

SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "dim"}
MAX_PROBLEM_ROWS = 60


def _marks(u: UnitResult, group_bottom: int | None, c: Catalog) -> Text:
    t = Text()
    for v in u.vetoes:
        t.append(f"{c.word('否决')}:{v.title} ", style="bold red")
    for w in u.warnings:
        t.append(f"{c.word('预警')}:{w} ", style="magenta")
    if "bottom" in u.callouts:
        called = c.word("点名")
        t.append(
            f"{called}({c('b_bottom_n', n=group_bottom)}) " if group_bottom else f"{called} ", style="red"
        )
    if "top" in u.callouts:
        t.append(f"{c.word('表扬')} ", style="green")
    if not u.submitted:
        t.append(f"{c.word('未报送')} ", style="bold yellow")
    return t


def _change(u: UnitResult, has_previous: bool, c: Catalog) -> str:
    from safescore.results.previous import rank_change

    return c.word(rank_change(u, has_previous))


def result_groups_callout(result: Result, gid: str) -> list[int | None]:
    """The configured bottom-N of a group (for the mark text), from the rubric id-free result."""
    g = next(x for x in result.groups if x.id == gid)
    return [len(g.bottom) if g.bottom else None]


def ranking_tables(console: Console, result: Result, *, lang: str | None = None) -> None:
    """One table per group: rank, unit, total, grade, change, marks (headers in ``lang``,
    default the current language)."""
    c = tr(lang)
    for g in result.groups:
        group = next((x for x in result_groups_callout(result, g.id)), None)
        bottom_n = group
        title = c("t_group_title", group=g.title, n=g.size, scale=fmt(g.scale))
        table = Table(title=title, title_style="bold", show_lines=False, header_style="bold cyan")
        table.add_column(c("rank"), justify="right")
        table.add_column(c("unit"))
        table.add_column(c("total"), justify="right")
        table.add_column(c("grade"), justify="center")
        table.add_column(c("change"), justify="center")
        table.add_column(c("marks"))
        for u in result.group_units(g.id):
            table.add_row(
                str(u.rank),
                u.unit,
                f"{u.total:.{result.decimals}f}",
                u.grade or "—",
                _change(u, result.previous_period is not None, c),
                _marks(u, bottom_n, c),
            )
        console.print(table)


def problem_report(
    console: Console,
    problems: Sequence[Problem],
    *,
    limit: int = MAX_PROBLEM_ROWS,
    show_info: bool = False,
    title: str = "数据校验",
) -> None:
    """Grouped and counted problems, then the rows (most severe first)."""
    shown = [p for p in problems if show_info or p.severity != "info"]
    counts = Counter(p.severity for p in problems)
    summary = "，".join(f"{SEVERITY_LABEL[s]} {counts.get(s, 0)} 条" for s in ("error", "warning", "info"))
    if not problems:
        console.print(f"[green]{title}：未发现问题[/green]")
        return
    console.print(f"[bold]{title}：[/bold]{summary}")
    by_code = Counter((p.severity, p.code) for p in shown)
    if by_code:
        console.print(
            "  "
            + "；".join(
                f"{code} ×{n}"
                for (_, code), n in sorted(by_code.items(), key=lambda kv: (_rank(kv[0][0]), -kv[1]))
            )
        )
    order = sorted(shown, key=lambda p: (_rank(p.severity), p.file or "", p.sheet or "", p.cell or ""))
    if not order:
        return
    table = Table(show_lines=False, header_style="bold", expand=False)
    table.add_column("级别", no_wrap=True)
    table.add_column("位置", overflow="fold", max_width=36)
    table.add_column("说明", overflow="fold")
    for p in order[:limit]:
        where = " ".join(
            x
            for x in (Path(p.file).name if p.file else "", f"[{p.sheet}]" if p.sheet else "", p.cell or "")
            if x
        )
        if p.line is not None:
            where = f"{Path(p.file).name if p.file else ''}:{p.line}" + (f":{p.column}" if p.column else "")
        text = Text(p.message)
        if p.expected:
            text.append(f"\n应为：{p.expected}", style="dim")
        text.append(f"  [{p.code}]", style="dim")
        table.add_row(Text(SEVERITY_LABEL[p.severity], style=SEVERITY_STYLE[p.severity]), where, text)
    console.print(table)
    if len(order) > limit:
        console.print(f"…另有 {len(order) - limit} 条，完整清单见 validation.json")


def _rank(sev: str) -> int:
    return {"error": 0, "warning": 1, "info": 2}.get(sev, 3)


def unit_account(console: Console, result: Result, u: UnitResult, item_id: str | None = None) -> None:
    """Every point of one unit: value, rule, score, reason, and the cell it came from."""
    head = f"{u.unit}（{u.group}）总分 {u.total}，组内第 {u.rank} 名，等次 {u.grade or '—'}"
    if u.vetoes:
        head += "；一票否决：" + "、".join(v.title for v in u.vetoes)
    console.print(f"[bold]{head}[/bold]")
    if item_id is None:
        for s in u.sections:
            console.print(f"  {s.id} {s.title}：{s.score} / {fmt(s.points)}")
        if u.bonus or u.penalty:
            console.print(f"  加分 {u.bonus}，减分 {u.penalty}")
    table = Table(header_style="bold cyan", show_lines=True)
    for col in ("指标", "分值", "得分", "取值", "规则", "说明", "来源"):
        table.add_column(col, overflow="fold")
    for it in u.items:
        if item_id is not None and it.id != item_id:
            continue
        cells = "；".join(
            f"{i.label}={i.raw if i.raw is not None else '空'} @{i.sheet or ''}!{i.cell or '?'}"
            for i in it.inputs
        )
        src = it.source.name
        if it.source.cell:
            src += f" {it.source.sheet or ''}!{it.source.cell}"
        table.add_row(
            f"{it.id} {it.title}",
            fmt(it.points),
            str(it.score),
            fmt(it.value),
            it.basis or it.rule,
            it.reason or ("满分" if it.lost == 0 and it.section not in ("bonus", "penalty") else ""),
            f"{src}\n{cells}" if cells else src,
        )
    console.print(table)
