"""Unit name matching (SPEC 4.5)."""

from __future__ import annotations

import pytest

from safescore.inputs.match import TOTAL_ROW_NAMES, Match, UnitMatcher, is_total_row
from safescore.rubric.model import Unit


def unit(name: str, *aliases: str, group: str = "district") -> Unit:
    return Unit(name=name, group=group, aliases=list(aliases))


UNITS = [
    unit("钢城区应急管理局", "钢城应急局"),
    unit("莱芜区应急管理局"),
    unit("钢城区住房和城乡建设局", "钢城住建局", "住建局"),
    unit("市交通运输局", group="city"),
    unit("ABC化工有限公司", group="company"),
]


@pytest.fixture
def matcher() -> UnitMatcher:
    return UnitMatcher(UNITS)


def test_exact(matcher: UnitMatcher) -> None:
    m = matcher.match("钢城区应急管理局")
    assert m == Match(UNITS[0], "exact")
    assert m.ok


@pytest.mark.parametrize(
    "raw",
    [
        "钢城区\n应急管理局",
        "钢城区应急\r\n管理局",
        " 钢城区应急管理局 ",
        "钢城区　应急　管理局",  # full-width spaces
        "钢城区\xa0应急管理局\t",
        "钢 城 区 应 急 管 理 局",
    ],
)
def test_whitespace_anywhere_is_ignored(matcher: UnitMatcher, raw: str) -> None:
    m = matcher.match(raw)
    assert m.unit == UNITS[0]
    assert m.how == "normalised"


def test_full_width_forms(matcher: UnitMatcher) -> None:
    m = matcher.match("ＡＢＣ化工有限公司")
    assert (m.unit, m.how) == (UNITS[4], "normalised")
    assert matcher.match("abc化工有限公司").unit == UNITS[4]


def test_alias(matcher: UnitMatcher) -> None:
    assert matcher.match("钢城住建局") == Match(UNITS[2], "alias")
    assert matcher.match("住建局") == Match(UNITS[2], "alias")
    assert matcher.match("钢城\n应急局") == Match(UNITS[0], "alias")


def test_unknown_suggests_closest(matcher: UnitMatcher) -> None:
    m = matcher.match("应急局")
    assert m.unit is None and m.how is None
    assert not m.ok
    assert set(m.suggestions[:2]) == {"钢城区应急管理局", "莱芜区应急管理局"}
    assert len(m.suggestions) <= 3


def test_suggestions_are_canonical_names_best_first(matcher: UnitMatcher) -> None:
    m = matcher.match("钢城区应急局")
    assert m.unit is None
    assert m.suggestions[0] == "钢城区应急管理局"
    assert len(set(m.suggestions)) == len(m.suggestions)
    assert all(s in matcher.names for s in m.suggestions)
    # reached through an alias, reported as the canonical name
    assert matcher.match("钢城区住建局").suggestions[0] == "钢城区住房和城乡建设局"
    assert matcher.match("交通局").suggestions == ("市交通运输局",)
    assert matcher.match("钢城区应急管里局").suggestions[0] == "钢城区应急管理局"  # a typo


def test_unknown_without_anything_close(matcher: UnitMatcher) -> None:
    assert matcher.match("公安局") == Match(None, None, ())
    assert matcher.match("xyz").suggestions == ()


def test_empty_and_none(matcher: UnitMatcher) -> None:
    assert matcher.match(None) == Match(None, None)
    assert matcher.match("  \n ") == Match(None, None)


def test_names(matcher: UnitMatcher) -> None:
    assert matcher.names == [u.name for u in UNITS]


def test_non_string_cell() -> None:
    m = UnitMatcher([unit("101")]).match(101)
    assert m.unit is not None and m.how == "exact"


def test_duplicate_after_normalising_is_rejected() -> None:
    with pytest.raises(ValueError):
        UnitMatcher([unit("钢城区应急管理局"), unit("钢城区 应急管理局")])
    with pytest.raises(ValueError):
        UnitMatcher([unit("甲公司", "乙"), unit("乙")])
    with pytest.raises(ValueError):
        UnitMatcher([unit("甲公司", "简称"), unit("乙公司", "简 称")])
    with pytest.raises(ValueError):
        UnitMatcher([unit("甲公司", "  ")])


def test_alias_equal_to_own_name_is_fine() -> None:
    m = UnitMatcher([unit("甲公司", "甲 公司")])
    assert m.match("甲公司").how == "exact"


@pytest.mark.parametrize("raw", ["合计", "总计", "小计", "合  计", "合\n计", "总　计", "合计：", "全市合计"])
def test_total_rows(raw: str) -> None:
    assert is_total_row(raw)


@pytest.mark.parametrize("raw", [None, "", "钢城区应急管理局", "审计局", "合计局", "统计局"])
def test_not_total_rows(raw: object) -> None:
    assert not is_total_row(raw)


def test_total_row_names() -> None:
    assert {"合计", "总计", "小计"} <= TOTAL_ROW_NAMES
