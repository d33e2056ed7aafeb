"""Charts in Word (PNG via matplotlib): where they go, that they decode, that they are reproducible,
and that without a Chinese font they are left out with one warning instead of drawn as tofu."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import logging
import subprocess
import sys
import zipfile
from pathlib import Path

import docx
import pytest
from docx.enum.text import WD_LINE_SPACING
from docx.oxml.ns import qn
from PIL import Image

from safescore import Result
from safescore.render import charts
from safescore.render.bulletin import BulletinView, GroupView, Issuer, RankRow, TrendPoint, bulletin_view
from safescore.render.colors import grade_colors
from safescore.render.docx import LetterRenderer, build_letter_document, render_bulletin_docx
from safescore.render.docx.package import doc_parts
from safescore.render.docx.styles import S_FIGURE
from safescore.render.group_chart import ALL_BARS_UP_TO, ENDS, group_chart
from safescore.render.i18n import tr
from safescore.render.svg import bars_svg

EPOCH = "1700000000"
PIC = "{http://schemas.openxmlformats.org/drawingml/2006/picture}pic"

needs_font = pytest.mark.skipif(
    charts.cjk_font() is None, reason="no CJK font: apt-get install fonts-noto-cjk"
)


@pytest.fixture(scope="module")
def result(gangcheng_result: Result) -> Result:
    return gangcheng_result


@pytest.fixture(scope="module")
def view(result: Result) -> BulletinView:
    return bulletin_view(result, Issuer(date=dt.date(2022, 4, 15)), letters=True)


@pytest.fixture
def no_cjk_font(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on a machine without fonts-noto-cjk: matplotlib finds no Chinese face."""
    monkeypatch.setattr(charts, "cjk_font", lambda: None)
    monkeypatch.setattr(charts, "_warned", False)


def png_info(png: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(png))
    img.load()  # decodes every pixel: a truncated or corrupt PNG raises here
    return img


@needs_font
def test_bulletin_has_score_bars_under_each_ranking(view: BulletinView, tmp_path: Path) -> None:
    path = tmp_path / "通报.docx"
    render_bulletin_docx(view, path)
    doc = docx.Document(str(path))
    body = list(doc.element.body)
    pictures = [el for el in body if el.tag == qn("w:p") and el.find(f".//{PIC}") is not None]
    assert len(pictures) == len(view.groups)  # Gangcheng's groups are under charts.MAX_BARS
    for p in pictures:
        assert p.find(f"{qn('w:pPr')}/{qn('w:pStyle')}").get(qn("w:val")) == S_FIGURE.style_id
        assert body[body.index(p) - 1].tag == qn("w:tbl")  # right under the ranking table
    # single spacing: an exact line height (the body's 28.95 pt) would crop the picture
    assert doc.styles[S_FIGURE.name].paragraph_format.line_spacing_rule == WD_LINE_SPACING.SINGLE
    with zipfile.ZipFile(path) as z:
        media = [n for n in z.namelist() if n.startswith("word/media/")]
        assert len(media) == len(view.groups)
        for name in media:
            img = png_info(z.read(name))
            assert img.format == "PNG"
            assert 850 <= img.width <= 900  # 150 mm at 150 dpi
            assert 200 < img.height < 1400
            assert round(img.info["dpi"][0]) == charts.DPI
            assert z.getinfo(name).compress_type == zipfile.ZIP_STORED  # PNG is compressed already


@needs_font
def test_chart_bytes_are_reproducible_across_processes() -> None:
    code = (
        "import sys; from safescore.render.charts import profile_png; "
        "sys.stdout.buffer.write(profile_png(['责任落实', '隐患治理'], ['25.50', '18.00'], ['30', '25'], '得分率'))"
    )
    runs = [
        subprocess.run([sys.executable, "-c", code], capture_output=True, check=True).stdout for _ in range(2)
    ]
    here = charts.profile_png(["责任落实", "隐患治理"], ["25.50", "18.00"], ["30", "25"], "得分率")
    assert runs[0] == runs[1] == here
    assert b"Software" not in here and b"tIME" not in here  # no tool name, no timestamp


@needs_font
def test_a_big_group_gets_several_pictures() -> None:
    n = charts.MAX_BARS * 2 + 1
    pngs = charts.group_bars(
        [f"单位{i}" for i in range(n)], ["80.00"] * n, "100", ["#2e7d32"] * n, "区直部门考评得分"
    )
    assert len(pngs) == 3
    assert all(png_info(p).height < 1400 for p in pngs)  # each fits the 225 mm 版心


def test_without_a_cjk_font_charts_are_left_out_with_one_warning(
    view: BulletinView, tmp_path: Path, no_cjk_font: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="safescore.render")
    render_bulletin_docx(view, tmp_path / "a.docx")
    render_bulletin_docx(view, tmp_path / "b.docx")
    letter = dataclasses.replace(view.letters[0], trend=_trend(view.letters[0]))
    LetterRenderer(charts=True).render(letter)
    for name in ("a.docx", "b.docx"):
        with zipfile.ZipFile(tmp_path / name) as z:
            assert not [n for n in z.namelist() if n.startswith("word/media/")]
            assert b"<pic:pic>" not in z.read("word/document.xml")
    warnings = [r for r in caplog.records if r.name == "safescore.render"]
    assert len(warnings) == 1
    assert "fonts-noto-cjk" in warnings[0].getMessage()
    assert charts.profile_png(["甲"], ["1"], ["2"], "t") is None


def _trend(letter: object) -> tuple[TrendPoint, ...]:
    total, rank, grade = letter.total, letter.rank, letter.grade  # type: ignore[attr-defined]
    return (
        TrendPoint("2021Q3", "2021年第三季度", "81.50", 9, "良好"),
        TrendPoint("2021Q4", "2021年第四季度", "88.00", 4, "良好"),
        TrendPoint("2022Q1", "2022年第一季度", total, rank, grade),
    )


@needs_font
def test_fast_letters_with_charts_equal_python_docx(
    view: BulletinView, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Profile and trend, profile only, trend only (no sections) and neither: each letter's
    document.xml and relationships are what python-docx writes, pictures included."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    ls = view.letters
    cases = [
        dataclasses.replace(ls[0], trend=_trend(ls[0])),
        ls[1],
        dataclasses.replace(ls[2], sections=(), trend=_trend(ls[2])),
        dataclasses.replace(ls[3], sections=()),
    ]
    renderer = LetterRenderer(charts=True)
    for letter, n_pictures in zip(cases, (2, 1, 1, 0), strict=True):
        slow = dict(doc_parts(build_letter_document(letter, charts=True)))
        with zipfile.ZipFile(io.BytesIO(renderer.render(letter))) as z:
            assert z.read("word/document.xml") == slow["word/document.xml"], letter.unit
            assert z.read("word/_rels/document.xml.rels") == slow["word/_rels/document.xml.rels"]
            media = [n for n in z.namelist() if n.startswith("word/media/")]
            assert len(media) == n_pictures
            assert all(z.read(n) == slow[n] for n in media)
            assert z.testzip() is None
        doc = docx.Document(io.BytesIO(renderer.render(letter)))  # opens cleanly
        assert len(doc.inline_shapes) == n_pictures


def test_letters_have_no_word_charts_by_default(view: BulletinView) -> None:
    letter = dataclasses.replace(view.letters[0], trend=_trend(view.letters[0]))
    with zipfile.ZipFile(io.BytesIO(LetterRenderer().render(letter))) as z:
        assert not [n for n in z.namelist() if n.startswith("word/media/")]


def _group(n: int) -> GroupView:
    rows = tuple(
        RankRow(i, f"企业{i:05d}", f"{(n + 1 - i) / 10:.2f}", "优秀" if i <= 10 else "合格", "", (), (), "ok")
        for i in range(1, n + 1)
    )
    return GroupView("ent", "企业", "1000", (), rows, (), (), None)


def test_a_small_group_charts_every_unit() -> None:
    c = group_chart(_group(ALL_BARS_UP_TO), tr("zh"))
    assert len(c.labels) == ALL_BARS_UP_TO and c.title == "企业考评得分（满分1000分）"
    assert c.legend == tuple(grade_colors(["优秀", "合格"]).items())


def test_a_large_group_charts_its_top_and_bottom_units_only() -> None:
    """Thousands of bars would take minutes to draw and nobody could read them."""
    c = group_chart(_group(6000), tr("zh"))
    assert c.labels[:ENDS] == tuple(f"企业{i:05d}" for i in range(1, ENDS + 1))
    assert c.labels[ENDS] == "（略去5980个单位）" and c.values[ENDS] == ""
    assert c.labels[ENDS + 1 :] == tuple(f"企业{i:05d}" for i in range(6000 - ENDS + 1, 6001))
    assert c.values[:2] == ("600.00", "599.90") and c.values[-1] == "0.10"
    assert c.title == "企业考评得分（满分1000分）：前10名与后10名"
    assert len(charts.group_bars(c.labels, c.values, "1000", c.colors, c.title, c.legend)) <= 1  # one picture
    svg = bars_svg(c.labels, c.values, "1000", c.colors, c.title, legend=c.legend)
    assert svg.count("<rect") == 2 * ENDS + 1 + len(c.legend)  # the gap row has a zero-width bar


@pytest.mark.skipif(not charts.available(), reason="no CJK font installed: charts are left out")
def test_names_with_dollar_signs_and_control_characters_are_drawn_as_text() -> None:
    """matplotlib would parse 甲$\\frac{1}{$局 as mathtext and raise; a tab has no glyph."""
    import warnings

    names = ["甲$\\frac{1}{$局", "乙\t局\x07"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing-glyph warning fails the test
        bars = charts.bars_png(names, ["1", "2"], "10", ["#2e7d32", "#1565c0"], "标题$\\sqrt{$")
        profile = charts.profile_png(["一$\\x{$", "二"], ["1", "2"], ["5", "5"], "甲$\\frac{1}{$局")
    assert bars is not None and bars.startswith(b"\x89PNG")
    assert profile is not None and profile.startswith(b"\x89PNG")
