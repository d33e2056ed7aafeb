"""Grade colours: well-known names, grades named by a colour (五色), and the fallback palette."""

from __future__ import annotations

from safescore.render.colors import grade_colors, named_tint
from safescore.render.xlsx import _grade_fill


def test_five_colour_classes_are_drawn_in_their_colour() -> None:
    got = grade_colors(["绿色", "蓝色", "黄色", "白色", "橙色"])
    assert got == {
        "绿色": "#2e7d32",
        "蓝色": "#1565c0",
        "黄色": "#f9a825",
        "白色": "#bdbdbd",
        "橙色": "#ef6c00",
    }


def test_known_names_keep_their_colour_and_others_take_the_palette_in_order() -> None:
    got = grade_colors(["示范", "优秀", "验收通过", "列入黑名单"])
    assert got["优秀"] == "#2e7d32"
    assert [got["示范"], got["验收通过"], got["列入黑名单"]] == ["#2e7d32", "#1565c0", "#ef8f00"]


def test_a_word_that_merely_starts_with_a_colour_is_not_a_colour() -> None:
    assert named_tint("白沙街道") is None and named_tint("红旗") is None
    assert named_tint("橙色") == "FAD3B2"  # 70% towards white


def test_results_xlsx_fills_colour_named_grades() -> None:
    fill = _grade_fill("橙色")
    assert fill is not None and fill.fgColor.rgb.endswith("FAD3B2")
    assert _grade_fill("不合格") is not None and _grade_fill(None) is None and _grade_fill("示范") is None
