"""Read ``results.json`` back into a :class:`Result` (for ``safescore report``).

Numbers are parsed as Decimal from their JSON text, so a re-rendered bulletin
shows exactly the figures that were scored.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from safescore.problems import Problem
from safescore.results.model import (
    RESULTS_FORMAT,
    GroupResult,
    InputUsed,
    ItemScore,
    PeriodPoint,
    RecordRef,
    Result,
    SectionScore,
    SourceRef,
    UnitResult,
    VetoHit,
    WarningHit,
)


def _d(v: Any) -> Decimal:
    return Decimal(0) if v is None else Decimal(str(v))


def _od(v: Any) -> Decimal | None:
    return None if v is None else Decimal(str(v))


def _item(d: dict[str, Any]) -> ItemScore:
    src = d.get("source") or {}
    return ItemScore(
        id=d["id"],
        title=d["title"],
        section=d["section"],
        points=_od(d.get("points")),
        score=_d(d["score"]),
        lost=_d(d.get("lost")),
        value=d.get("value"),
        status=d.get("status", "ok"),
        reason=d.get("reason", ""),
        rule=d.get("rule", ""),
        basis=d.get("basis"),
        source=SourceRef(src.get("name", "return"), src.get("file"), src.get("sheet"), src.get("cell")),
        inputs=tuple(
            InputUsed(
                i["field"],
                i["label"],
                i.get("value"),
                i.get("raw"),
                i.get("file"),
                i.get("sheet"),
                i.get("cell"),
            )
            for i in d.get("inputs", [])
        ),
        evidence=tuple(d.get("evidence", [])),
        self_score=_od(d.get("self_score")),
    )


def _warning(w: dict[str, Any]) -> WarningHit:
    return WarningHit(
        id=w["id"],
        title=w.get("title", w["id"]),
        kind=w.get("kind", "warning"),
        reason=w.get("reason", ""),
        penalty=_d(w.get("penalty")),
        action=w.get("action"),
        count=_od(w.get("count")),
        records=tuple(
            RecordRef(
                r.get("records", ""),
                r.get("file"),
                r.get("sheet"),
                r.get("row"),
                r.get("cell"),
                tuple((r.get("values") or {}).items()),
            )
            for r in w.get("records", [])
        ),
    )


def _unit(d: dict[str, Any]) -> UnitResult:
    details = d.get("veto_details") or [{"id": v, "title": v, "effect": ""} for v in d.get("vetoes", [])]
    return UnitResult(
        unit=d["unit"],
        group=d["group"],
        status=d.get("status", "已报送"),
        total=_d(d["total"]),
        total_before_veto=_d(d.get("total_before_veto", d["total"])),
        rank=int(d["rank"]),
        grade=d.get("grade"),
        sections=tuple(
            SectionScore(
                s["id"],
                s.get("title", s["id"]),
                _d(s.get("points")),
                _d(s["score"]),
                _d(s.get("raw", s["score"])),
                _od(s.get("weight")),
            )
            for s in d.get("sections", [])
        ),
        items=tuple(_item(i) for i in d.get("items", [])),
        bonus=_d(d.get("bonus")),
        penalty=_d(d.get("penalty")),
        vetoes=tuple(VetoHit(v["id"], v["title"], v.get("effect", "")) for v in details),
        warnings=tuple(d.get("warnings", [])),
        callouts=tuple(d.get("callouts", [])),
        previous_rank=d.get("previous_rank"),
        self_total=_od(d.get("self_total")),
        self_flag=bool(d.get("self_flag", False)),
        warning_details=tuple(_warning(w) for w in d.get("warning_details", [])),
        history=tuple(
            PeriodPoint(
                str(p["period"]),
                str(p.get("group", d["group"])),
                _d(p["total"]),
                int(p["rank"]),
                p.get("grade"),
            )
            for p in d.get("history") or []
        ),
    )


def result_from_dict(d: dict[str, Any]) -> Result:
    """The inverse of :meth:`Result.to_dict`; raises ValueError on another format."""
    if d.get("format") != RESULTS_FORMAT:
        raise ValueError(f"不是 safescore 结果文件（format 应为 {RESULTS_FORMAT}）")
    rubric = d["rubric"]
    groups = tuple(
        GroupResult(
            g["id"],
            g["title"],
            int(g["size"]),
            _d(g["scale"]),
            tuple(g.get("ranking", [])),
            tuple(g.get("callouts", {}).get("top", [])),
            tuple(g.get("callouts", {}).get("bottom", [])),
        )
        for g in d["groups"]
    )
    problems = tuple(
        Problem(**{k: p.get(k) for k in Problem.__dataclass_fields__ if k in p})
        for p in d.get("problems", [])
    )
    return Result(
        rubric_id=rubric["id"],
        rubric_title=rubric["title"],
        rubric_version=rubric["version"],
        rubric_sha256=rubric.get("sha256"),
        period=d.get("period"),
        decimals=int(d.get("decimals", 2)),
        groups=groups,
        units=tuple(_unit(u) for u in d["units"]),
        problems=problems,
        inputs=tuple(d.get("inputs", [])),
        not_submitted=tuple(d.get("not_submitted", [])),
        previous_period=d.get("previous_period"),
    )


def load_result(path: str | Path) -> Result:
    """Read a ``results.json`` file written by ``safescore score``."""
    data = json.loads(Path(path).read_text(encoding="utf-8"), parse_float=Decimal)
    return result_from_dict(data)
