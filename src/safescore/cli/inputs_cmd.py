"""Commands about rubrics and returns before any output: check, validate, template, explain."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from safescore.cli.options import (
    EXIT_OK,
    EXIT_USAGE,
    InputsArg,
    JobsOpt,
    JsonOpt,
    LatestOpt,
    PeriodOpt,
    QuietOpt,
    RubricArg,
    SourceOpt,
    UnitsOpt,
)
from safescore.cli.output import Out, emit_json, result_exit_code
from safescore.cli.pipeline import checked_period, load_checked, registry, scored_run
from safescore.problems import Report
from safescore.render.jsonout import validation_dict
from safescore.render.terminal import problem_report, unit_account
from safescore.rubric.check import check_rubric


def check(rubric: RubricArg, as_json: JsonOpt = False, quiet: QuietOpt = False) -> None:
    """检查评分细则：分值合计、名称引用、表达式、分档、目标值、配额等，列出全部问题。"""
    out = Out.make(as_json, quiet)
    report = Report()
    loaded = check_rubric(rubric, report)
    ok = loaded is not None and report.ok
    code = EXIT_OK if ok else EXIT_USAGE
    if as_json:
        emit_json({"ok": ok, "exit_code": code, **validation_dict(report.problems)})
    elif not quiet or not ok:
        problem_report(out.console, report.problems, title="规则检查")
        if loaded is not None and ok:
            groups = "、".join(f"{g.title}（满分 {loaded.scale_for(g.id)}）" for g in loaded.groups)
            n_items = len(loaded.all_items())
            out.console.print(
                f"[green]✓ {loaded.title}：{len(loaded.sections)} 个一级指标，{n_items} 个评分项；分组 {groups}[/green]"
            )
    raise typer.Exit(code)


def validate(
    rubric: RubricArg,
    inputs: InputsArg,
    source: SourceOpt = None,
    period: PeriodOpt = None,
    out_dir: Annotated[
        Path | None, typer.Option("-o", "--out", help="写出 validation.json 与 validation.xlsx 的文件夹。")
    ] = None,
    latest: LatestOpt = False,
    jobs: JobsOpt = None,
    units: UnitsOpt = None,
    strict: Annotated[bool, typer.Option("--strict", help="缺失或无效的值一律视为错误。")] = False,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """校验报表：逐条列出文件、工作表、单元格、单位、字段、所见值与应为值。"""
    out = Out.make(as_json, quiet)
    _, _, _, _, result = scored_run(
        rubric, inputs, source, period, units, out, strict=strict, latest=latest, jobs=jobs
    )
    payload = validation_dict(result.problems)
    payload["not_submitted"] = list(result.not_submitted)
    if out_dir is not None:
        try:
            from safescore.render.files import json_bytes, write_atomic
            from safescore.render.xlsx import write_validation_xlsx

            write_atomic(out_dir / "validation.json", json_bytes(payload))
            write_validation_xlsx(result.problems, out_dir / "validation.xlsx")
        except OSError as exc:
            raise out.io(
                f"无法写入 {out_dir}：{exc.strerror or exc}", "output-unwritable", str(out_dir)
            ) from None
    if as_json:
        emit_json(payload)
    elif not quiet or result.errors:
        problem_report(out.console, result.problems)
        if result.not_submitted:
            out.console.print("[yellow]未报送：[/yellow]" + "、".join(result.not_submitted))
    raise typer.Exit(result_exit_code(result))


def explain(
    rubric: RubricArg,
    inputs: InputsArg,
    unit: Annotated[str, typer.Option("--unit", help="单位名称或简称。")],
    item: Annotated[str | None, typer.Option("--item", help="只看这个指标编码。")] = None,
    source: SourceOpt = None,
    period: PeriodOpt = None,
    latest: LatestOpt = False,
    jobs: JobsOpt = None,
    units: UnitsOpt = None,
    as_json: JsonOpt = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="不显示读取进度（说明本身照常输出）。")
    ] = False,
) -> None:
    """逐项说明一个单位的每一分：取值、规则、得分、扣分原因和来源单元格。"""
    from safescore.inputs.match import UnitMatcher

    out = Out.make(as_json, quiet)
    _, _, _, units_list, result = scored_run(
        rubric, inputs, source, period, units, out, strict=False, latest=latest, jobs=jobs
    )
    m = UnitMatcher(units_list).match(unit)
    if m.unit is None:
        hint = f"；是不是：{'、'.join(m.suggestions)}" if m.suggestions else ""
        raise out.usage(f"单位“{unit}”不在单位名单中{hint}", code="unknown-unit")
    u = result.unit(m.unit.name)
    if item is not None and all(it.id != item for it in u.items):
        raise out.usage(
            f"{u.unit} 没有指标 {item}；可用：{'、'.join(it.id for it in u.items)}", code="unknown-item"
        )
    if as_json:
        d = u.to_dict()
        if item is not None:
            d["items"] = [x for x in d["items"] if x["id"] == item]
        emit_json(d)
    else:
        unit_account(out.console, result, u, item)
    raise typer.Exit(EXIT_OK)


def template(
    rubric: RubricArg,
    out_dir: Annotated[Path, typer.Option("-o", "--out", help="模板输出文件夹。")],
    period: PeriodOpt = None,
    units: UnitsOpt = None,
    table: Annotated[
        bool, typer.Option("--table", help="生成一行一个单位的汇总表模板，而不是每单位一份填报表。")
    ] = False,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """按评分细则生成填报模板：每个单位一份（含本单位目标值、下拉框、数值校验、评分标准提示），或 --table 汇总表。"""
    from safescore.inputs.read import resolve_targets
    from safescore.render.template_xlsx import write_form_templates, write_table_template

    out = Out.make(as_json, quiet)
    r = load_checked(rubric, out, what="生成模板")
    p = checked_period(r, period, out)
    units_list = registry(r, units, out)
    if not units_list:
        raise out.usage("规则中没有单位名单，请用 --units 指定单位名单表", code="no-units")
    report = Report()
    targets = resolve_targets(r, units_list, report, [])
    if not report.ok:
        out.problems(EXIT_USAGE, report.problems)
        problem_report(out.console, report.problems, title="目标值")
        raise typer.Exit(EXIT_USAGE)
    try:
        paths = (
            write_table_template(r, units_list, p, out_dir)
            if table
            else write_form_templates(r, units_list, p, out_dir, targets=targets)
        )
    except OSError as exc:
        raise out.io(
            f"无法写入 {out_dir}：{exc.strerror or exc}", "output-unwritable", str(out_dir)
        ) from None
    if as_json:
        emit_json({"files": [str(x) for x in paths]})
    elif not quiet:
        out.console.print(f"已生成 {len(paths)} 个模板，位于 {out_dir}")
    raise typer.Exit(EXIT_OK)
