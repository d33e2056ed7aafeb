"""Rank change against the previous stored period: ▲/▼/= for known units, 新 for a new one, — with nothing stored."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from helpers import load_ok, make_inputs

from safescore.api import score
from safescore.render.bulletin import bulletin_view
from safescore.results.previous import with_previous

RUBRIC = """
rubric: rc
title: 名次变化测试
scale: 10
groups: [{id: g, title: 组}]
units: [{name: 甲, group: g}, {name: 乙, group: g}, {name: 丙, group: g}]
fields: {x: {label: 数值, type: int}}
sections:
  - id: s
    title: 一
    items: [{id: a, title: 数值, points: 10, rule: {kind: formula, expr: x}}]
"""


def test_up_down_same_and_new(tmp_path: Path) -> None:
    rubric = load_ok(tmp_path, RUBRIC)
    q1 = score(rubric, make_inputs(rubric, {"甲": {"x": 9}, "乙": {"x": 5}, "丙": {"x": 1}}), "2022Q1")
    q1 = dataclasses.replace(
        q1, units=tuple(u for u in q1.units if u.unit != "丙")
    )  # 丙 was not assessed in Q1
    q2 = score(rubric, make_inputs(rubric, {"甲": {"x": 4}, "乙": {"x": 8}, "丙": {"x": 6}}), "2022Q2")
    none = bulletin_view(with_previous(q2, None))
    assert [r.change for r in none.groups[0].rows] == ["—", "—", "—"]
    view = bulletin_view(with_previous(q2, q1))
    changes = {r.unit: r.change for r in view.groups[0].rows}
    assert changes == {"乙": "▲1", "丙": "新", "甲": "▼2"}
    assert with_previous(q2, q1).to_dict()["previous_period"] == "2022Q1"
