"""fast_maker: result objects made without their constructor must be the very same objects."""

from __future__ import annotations

import dataclasses
import pickle
from dataclasses import dataclass
from decimal import Decimal

import pytest

from safescore.results.model import InputUsed, ItemScore, SectionScore, SourceRef, UnitResult
from safescore.results.objects import fast_maker

SOURCE = ("return", "a.xlsx", "填报表", "D7")
INPUT = ("deaths", "死亡人数", Decimal("2"), "2人", "a.xlsx", "填报表", "D9")


def _fields(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def test_made_objects_equal_constructed_ones() -> None:
    src = fast_maker(SourceRef, _fields(SourceRef))(*SOURCE)
    inp = fast_maker(InputUsed, _fields(InputUsed))(*INPUT)
    item_values = (
        "d1",
        "死亡人数控制",
        "s1",
        Decimal(10),
        Decimal("7.50"),
        Decimal("2.50"),
        Decimal(2),
        "ok",
        "死亡2人，扣2.5分",
        "deduct",
        None,
        src,
        (inp,),
        (),
        Decimal(8),
    )
    item = fast_maker(ItemScore, _fields(ItemScore))(*item_values)
    assert type(src) is SourceRef and type(inp) is InputUsed and type(item) is ItemScore
    assert src == SourceRef(*SOURCE) and inp == InputUsed(*INPUT)
    assert item == ItemScore(*item_values)
    assert item.to_dict() == ItemScore(*item_values).to_dict()
    assert hash(src) == hash(SourceRef(*SOURCE))
    assert pickle.loads(pickle.dumps(item)) == item
    assert dataclasses.replace(src, cell="D8") == SourceRef("return", "a.xlsx", "填报表", "D8")


def test_made_objects_stay_frozen() -> None:
    src = fast_maker(SourceRef, _fields(SourceRef))(*SOURCE)
    with pytest.raises(dataclasses.FrozenInstanceError):
        src.cell = "E1"  # type: ignore[misc]


def test_fields_in_any_order() -> None:
    names = ("score", "raw", "id", "title", "points", "weight")
    sec = fast_maker(SectionScore, names)(Decimal(20), Decimal(25), "s1", "责任落实", Decimal(30), None)
    assert sec == SectionScore("s1", "责任落实", Decimal(30), Decimal(20), Decimal(25), None)


@dataclass(frozen=True, slots=True)
class _Checked:
    a: int

    def __post_init__(self) -> None:
        if self.a < 0:
            raise ValueError("negative")


def test_classes_it_cannot_fill_use_their_constructor() -> None:
    # no slots (UnitResult), a __post_init__, or fields other than the names given
    assert "twin" not in fast_maker(UnitResult, _fields(UnitResult)).__code__.co_names
    make = fast_maker(_Checked, ("a",))
    assert make(1) == _Checked(1)
    with pytest.raises(ValueError, match="negative"):
        make(-1)  # the constructor ran
    partial = fast_maker(SourceRef, ("name", "file"))
    assert "twin" not in partial.__code__.co_names
    assert partial("return", "a.xlsx") == SourceRef("return", "a.xlsx", None, None)
