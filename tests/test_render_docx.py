"""Word output: GB/T 9704 layout, content read back with python-docx, fast letters, templates, safety."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import zipfile
from pathlib import Path
from typing import Any

import docx
import pytest
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from lxml import etree

from safescore import Result
from safescore.render.bulletin import BulletinView, Deduction, Issuer, LetterView, bulletin_view
from safescore.render.docx import (
    LetterRenderer,
    TemplateError,
    blocks,
    build_letter_document,
    check_template,
    cn_number,
    letter_filename,
    package,
    render_bulletin_docx,
    render_letter_docx,
    render_letters_docx,
)
from safescore.render.docx import styles as gb

EPOCH = "1700000000"  # 2023-11-14 22:13:20 UTC
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


@pytest.fixture(scope="module")
def result(gangcheng_result: Result) -> Result:
    return gangcheng_result


@pytest.fixture(scope="module")
def view(result: Result) -> BulletinView:
    issuer = Issuer(
        name="钢城区安全生产委员会办公室", doc_number="钢安办〔2022〕12号", date=dt.date(2022, 4, 15)
    )
    return bulletin_view(result, issuer, letters=True)


@pytest.fixture(scope="module")
def bulletin(view: BulletinView, tmp_path_factory: pytest.TempPathFactory) -> DocumentObject:
    path = tmp_path_factory.mktemp("bulletin") / "通报.docx"
    render_bulletin_docx(view, path)
    return docx.Document(str(path))


def all_text(doc: DocumentObject) -> str:
    """Every w:t of the body, tables included, in document order."""
    return "".join(t.text or "" for t in doc.element.body.iter(qn("w:t")))


def table_rows(table: docx.table.Table) -> list[list[str]]:
    return [[c.text for c in row.cells] for row in table.rows]


def near(length: int | None, mm: float) -> bool:
    assert length is not None
    return abs(length - Mm(mm)) < Mm(0.1)


# --- page set-up and styles --------------------------------------------------------------------


def test_page_is_gbt_9704(bulletin: DocumentObject) -> None:
    s = bulletin.sections[0]
    assert near(s.page_width, 210) and near(s.page_height, 297)
    assert near(s.top_margin, 37) and near(s.bottom_margin, 35)
    assert near(s.left_margin, 28) and near(s.right_margin, 26)
    # 版心 156 x 225 mm
    assert near(s.page_width - s.left_margin - s.right_margin, 156)
    assert near(s.page_height - s.top_margin - s.bottom_margin, 225)
    grid = s._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:linePitch")) == "579"  # 28.95 pt: 22 lines in 225 mm
    assert bulletin.settings.odd_and_even_pages_header_footer


def test_score_appendix_is_landscape(bulletin: DocumentObject) -> None:
    orient = [s.orientation for s in bulletin.sections]
    assert orient == [WD_ORIENT.PORTRAIT, WD_ORIENT.LANDSCAPE, WD_ORIENT.PORTRAIT]
    wide = bulletin.sections[1]
    assert near(wide.page_width - wide.left_margin - wide.right_margin, 225)


@pytest.mark.parametrize("spec", gb.ALL_STYLES, ids=lambda s: s.style_id)
def test_styles_set_east_asian_fonts(bulletin: DocumentObject, spec: gb.StyleSpec) -> None:
    style = bulletin.styles[spec.name]
    fonts = style.element.rPr.find(qn("w:rFonts"))
    assert fonts.get(qn("w:eastAsia")) == spec.east
    assert fonts.get(qn("w:ascii")) == spec.latin
    assert fonts.get(qn("w:eastAsiaTheme")) is None  # a theme font would win over w:eastAsia
    assert style.font.size == Pt(spec.size)


def test_gbt_fonts_and_sizes(bulletin: DocumentObject) -> None:
    st = bulletin.styles
    assert (gb.S_TITLE.east, gb.S_TITLE.size) == ("方正小标宋简体", 22)
    assert (gb.S_BODY.east, gb.S_BODY.size) == ("仿宋_GB2312", 16)
    assert (gb.S_H1.east, gb.S_H2.east) == ("黑体", "楷体_GB2312")
    body = st[gb.S_BODY.name].paragraph_format
    assert body.line_spacing_rule == WD_LINE_SPACING.EXACTLY
    assert body.line_spacing == Pt(28.95)
    assert st[gb.S_TITLE.name].paragraph_format.alignment == WD_ALIGN_PARAGRAPH.CENTER
    # 28 characters of 3号 fit a 156 mm line once tightened by 0.25 pt
    spacing = st[gb.S_BODY.name].element.rPr.find(qn("w:spacing"))
    assert 28 * (16 + int(spacing.get(qn("w:val"))) / 20) <= 156 / 25.4 * 72
    assert st[gb.S_CELL.name].font.size in (Pt(12), Pt(14))


def test_font_table_has_fallbacks(view: BulletinView, tmp_path: Path) -> None:
    path = tmp_path / "b.docx"
    render_bulletin_docx(view, path)
    with zipfile.ZipFile(path) as z:
        root = etree.fromstring(z.read("word/fontTable.xml"))
    fonts = {f.get(f"{{{W}}}name"): f for f in root.findall(f"{{{W}}}font")}
    alt = fonts["仿宋_GB2312"].find(f"{{{W}}}altName").get(f"{{{W}}}val")
    assert alt == "仿宋"
    assert fonts["方正小标宋简体"].find(f"{{{W}}}charset").get(f"{{{W}}}val") == "86"


def test_footer_page_numbers(bulletin: DocumentObject) -> None:
    s = bulletin.sections[0]
    for footer, align in (
        (s.footer, WD_ALIGN_PARAGRAPH.RIGHT),
        (s.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT),
    ):
        xml = etree.tostring(footer._element, encoding="unicode")
        assert "PAGE" in "".join(footer._element.itertext())
        assert 'w:fldCharType="begin"' in xml and 'w:fldCharType="end"' in xml
        text = footer.paragraphs[0].text
        assert text.startswith("— ") and text.endswith(" —")
        assert footer.paragraphs[0].alignment == align
        assert footer.paragraphs[0].style.name == gb.S_PAGE.name
    assert bulletin.styles[gb.S_PAGE.name].font.size == Pt(14)


# --- what the bulletin says ---------------------------------------------------------------------


def test_red_header_title_and_doc_number(bulletin: DocumentObject, view: BulletinView) -> None:
    ps = bulletin.paragraphs
    assert ps[0].text == "钢城区安全生产委员会办公室"
    assert ps[0].style.name == gb.S_ISSUER.name
    assert bulletin.styles[gb.S_ISSUER.name].font.color.rgb == gb.RED
    assert ps[1].text == "钢安办〔2022〕12号"
    rule = ps[1]._p.pPr.find(f"{qn('w:pBdr')}/{qn('w:bottom')}")
    assert rule.get(qn("w:color")) == "FF0000"
    assert ps[2].text == view.title == "关于2022年第一季度钢城区安全生产“三责同考”考评结果的通报"
    assert ps[2].style.name == gb.S_TITLE.name
    assert view.overview in [p.text for p in ps]
    assert "2022年4月15日" in [p.text for p in ps]
    assert bulletin.core_properties.title == view.title


def test_ranking_tables_in_order(bulletin: DocumentObject, view: BulletinView) -> None:
    for table, group in zip(bulletin.tables[:2], view.groups, strict=True):
        rows = table_rows(table)
        assert rows[0] == ["名次", "单位", "总分", "等次", "较上期", "备注"]
        assert [r[:3] for r in rows[1:]] == [[str(x.rank), x.unit, x.total] for x in group.rows]
    first = table_rows(bulletin.tables[0])
    assert first[1][1:3] == ["钢城区综合行政执法局", "973.50"]
    assert len(first) == 1 + 19 and len(table_rows(bulletin.tables[1])) == 1 + 8
    assert any("一票否决" in r[5] for r in first)


def test_reasons_table_counts(bulletin: DocumentObject, view: BulletinView) -> None:
    rows = table_rows(bulletin.tables[2])
    assert rows[0] == ["序号", "考评项目", "扣分单位数", "合计扣分"]
    assert rows[1:] == [[str(i), r.title, str(r.units), r.points_lost] for i, r in enumerate(view.reasons, 1)]
    assert rows[1][1:] == ["企业生产现场检查", "25", "582.00"]


def test_sections_commended_and_appendices(bulletin: DocumentObject, view: BulletinView) -> None:
    texts = [p.text for p in bulletin.paragraphs]
    headings = [p.text for p in bulletin.paragraphs if p.style.name == gb.S_H1.name]
    assert headings[0] == "一、考评排名情况"
    assert headings[-1].endswith("下一步工作要求")
    assert any("艾山街道" in t and "表扬" not in t for t in texts)
    assert "附件1" in texts and "附件2" in texts
    # appendix 1: one score table per group with every section column
    score_tables = bulletin.tables[3:5]
    for table, group in zip(score_tables, view.groups, strict=True):
        rows = table_rows(table)
        assert rows[0] == ["名次", "单位", *group.section_titles, "总分", "等次"]
        assert [r[-2] for r in rows[1:]] == [x.total for x in group.rows]
    # appendix 2: a problem list per unit holding every deduction
    assert len(bulletin.tables) == 5 + sum(1 for lt in view.letters if lt.deductions)
    body = all_text(bulletin)
    for letter in view.letters:
        for d in letter.deductions:
            assert blocks.clean(d.reason) in body


# --- letters ------------------------------------------------------------------------------------


def test_letters_hold_every_deduction(view: BulletinView, tmp_path: Path) -> None:
    paths = render_letters_docx(view.letters, tmp_path, heading=f"{view.period}安全生产考评结果反馈单")
    assert len(paths) == len(view.letters) == 27
    assert [p.name for p in paths] == [f"{lt.unit}.docx" for lt in view.letters]
    for path, letter in zip(paths, view.letters, strict=True):
        doc = docx.Document(str(path))
        assert doc.paragraphs[0].text == "2022年第一季度安全生产考评结果反馈单"
        assert doc.paragraphs[2].text == f"{letter.unit}："
        assert f"得分{letter.total}分" in doc.paragraphs[3].text
        assert f"排名第{letter.rank}位" in doc.paragraphs[3].text
        sections, deductions = (table_rows(t) for t in doc.tables)
        assert [r[0] for r in sections[1:]][: len(letter.sections)] == [s[0] for s in letter.sections]
        assert sections[-1] == ["总分", "—", letter.total]
        assert len(deductions) == 1 + max(1, len(letter.deductions))
        for row, d in zip(deductions[1:], letter.deductions, strict=False):
            assert row[1:5] == [d.title, d.points, d.score, d.lost]
            assert blocks.clean(d.reason) in row[5]
            for e in d.evidence:
                assert blocks.clean(e) in row[5]
        assert doc.sections[0].footer.paragraphs[0].text == "— 1 —"


def test_fast_path_equals_python_docx(view: BulletinView, monkeypatch: pytest.MonkeyPatch) -> None:
    """The string-filled letters are exactly what python-docx writes for the same letter."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    renderer = LetterRenderer()
    for letter in (*view.letters, hostile_letter(view.letters[0])):
        slow = dict(package.doc_parts(build_letter_document(letter)))
        with zipfile.ZipFile(io.BytesIO(renderer.render(letter))) as z:
            fast = {n: z.read(n) for n in z.namelist()}
        assert fast == slow, letter.unit


def test_letter_without_deductions(view: BulletinView, tmp_path: Path) -> None:
    letter = dataclasses.replace(view.letters[0], deductions=(), vetoes=("发生较大事故",), bonus="0.00")
    render_letter_docx(letter, tmp_path / "a.docx")
    doc = docx.Document(str(tmp_path / "a.docx"))
    summary = doc.paragraphs[3].text
    assert "本期无扣分项" in summary and "一票否决" in summary and "加分" not in summary
    assert table_rows(doc.tables[1])[1][-1] == "本期无扣分项"


# --- reproducibility ------------------------------------------------------------------------------


def test_byte_identical_under_source_date_epoch(
    view: BulletinView, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    a, b = tmp_path / "a", tmp_path / "b"
    render_bulletin_docx(view, a / "通报.docx")
    render_bulletin_docx(view, b / "通报.docx")
    assert (a / "通报.docx").read_bytes() == (b / "通报.docx").read_bytes()
    pa = render_letters_docx(view.letters[:5], a)
    pb = render_letters_docx(view.letters[:5], b)
    assert [p.read_bytes() for p in pa] == [p.read_bytes() for p in pb]
    stamp = dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=dt.UTC)
    for path in (a / "通报.docx", pa[0]):
        with zipfile.ZipFile(path) as z:
            assert z.testzip() is None
            assert {i.date_time for i in z.infolist()} == {(2023, 11, 14, 22, 13, 20)}
            names = z.namelist()
            assert names[0] == "[Content_Types].xml" and "docProps/thumbnail.jpeg" not in names
        cp = docx.Document(str(path)).core_properties
        assert cp.created == cp.modified == stamp
        assert cp.last_printed is None


# --- hostile text and file names ------------------------------------------------------------------

HOSTILE = '<script>alert("x")</script> & =HYPERLINK("http://evil.example","点我")'


def hostile_letter(base: LetterView) -> LetterView:
    d = Deduction(
        "x.1", "<b>项目</b> & 其他", "10", "0.00", "10.00", f"原因\x00\x07含控制字符\x1b；{HOSTILE}",
        ("=cmd|' /C calc'!A0", "证据\r\n第二行\t制表"), "表1 A1",
    )  # fmt: skip
    return dataclasses.replace(base, unit="单位" * 100 + "\x0b/../", deductions=(d,), grade="<优>")


def test_hostile_text_stays_text(view: BulletinView, tmp_path: Path) -> None:
    letter = hostile_letter(view.letters[0])
    (path,) = render_letters_docx([letter], tmp_path)
    assert path.parent == tmp_path and len(path.name.encode()) <= 130
    doc = docx.Document(str(path))
    text = all_text(doc)
    assert HOSTILE in text
    assert "原因含控制字符；" in text and "证据 第二行 制表" in text
    assert "<b>项目</b> & 其他" in text and "等次为<优>" in text
    assert "单位" * 100 in text
    with zipfile.ZipFile(path) as z:
        xml = z.read("word/document.xml").decode()
    assert "<script>" not in xml and "&lt;script&gt;" in xml
    assert "HYPERLINK" not in "".join(t.text or "" for t in doc.element.body.iter(qn("w:instrText")))
    assert doc.element.body.find(f".//{qn('w:fldSimple')}") is None
    assert not any(ord(c) < 0x20 for c in xml.replace("\n", "").replace("\r", "").replace("\t", ""))


def test_hostile_bulletin(view: BulletinView, tmp_path: Path) -> None:
    g = view.groups[0]
    row = dataclasses.replace(g.rows[0], unit=HOSTILE + "\x01", marks=("\x1f" + HOSTILE,))
    groups = (dataclasses.replace(g, rows=(row, *g.rows[1:]), commended=(HOSTILE,)), *view.groups[1:])
    bad = dataclasses.replace(
        view,
        issuer="<发文机关> & \x08办公室",
        doc_number="=HYPERLINK(1)",
        groups=groups,
        letters=(hostile_letter(view.letters[0]),),
    )
    render_bulletin_docx(bad, tmp_path / "b.docx")
    doc = docx.Document(str(tmp_path / "b.docx"))
    assert doc.paragraphs[0].text == "<发文机关> & 办公室"
    assert doc.paragraphs[1].text == "=HYPERLINK(1)"
    assert table_rows(doc.tables[0])[1][1] == HOSTILE
    assert HOSTILE in all_text(doc)


@pytest.mark.parametrize(
    ("unit", "expected"),
    [
        ("钢城区应急管理局", "钢城区应急管理局.docx"),
        ("../../etc/passwd", "etc_passwd.docx"),
        ("a/b\\c", "a_b_c.docx"),
        ("..", "未命名.docx"),
        ("CON", "_CON.docx"),
        ("lpt9", "_lpt9.docx"),
        ("Com1.txt", "_Com1.txt.docx"),
        ("名称\x00\x1f\x7f", "名称.docx"),
        ("尾部. . ", "尾部.docx"),
        ('问:号*<>|"?', "问_号.docx"),
        ("", "未命名.docx"),
    ],
)
def test_letter_filename(unit: str, expected: str) -> None:
    assert letter_filename(unit, set()) == expected


def test_letter_filename_long_and_collisions() -> None:
    used: set[str] = set()
    long = letter_filename("钢" * 200, used)
    assert long.endswith(".docx") and len(long.encode()) <= 130 and long.startswith("钢钢")
    assert letter_filename("甲", used) == "甲.docx"
    assert letter_filename("甲", used) == "甲-2.docx"
    assert letter_filename("甲", used) == "甲-3.docx"
    assert letter_filename("Abc", used) == "Abc.docx"
    assert letter_filename("aBC", used) == "aBC-2.docx"  # Windows would overwrite Abc.docx


def test_same_names_give_distinct_files(view: BulletinView, tmp_path: Path) -> None:
    twins = [dataclasses.replace(view.letters[i], unit="同名单位") for i in range(3)]
    paths = render_letters_docx(twins, tmp_path)
    assert [p.name for p in paths] == ["同名单位.docx", "同名单位-2.docx", "同名单位-3.docx"]
    assert all(p.is_file() for p in paths)


# --- user templates -------------------------------------------------------------------------------


def make_template(path: Path, *, marker: bool) -> Path:
    doc = docx.Document()
    s = doc.sections[0]
    s.left_margin = s.right_margin = Mm(20)
    body = doc.styles.add_style(gb.S_BODY.name, 1)
    body.font.size = Pt(14)
    if marker:
        p = doc.add_paragraph()
        for piece in ("{{ iss", "uer }}", "文件"):  # Word splits tags across runs
            p.add_run(piece)
        doc.add_paragraph("{{ content }}")
        doc.add_paragraph("抄送：区委办公室")
        s.header.paragraphs[0].text = "文号 {{ doc_number }} {{ unknown }}"
    else:
        doc.add_paragraph("模板里的示例文字")
    doc.save(str(path))
    return path


def test_template_with_content_marker(view: BulletinView, tmp_path: Path) -> None:
    tpl = make_template(tmp_path / "tpl.docx", marker=True)
    render_bulletin_docx(view, tmp_path / "b.docx", template=tpl)
    doc = docx.Document(str(tmp_path / "b.docx"))
    texts = [p.text for p in doc.paragraphs]
    assert texts[0] == "钢城区安全生产委员会办公室文件"
    assert texts[1] == view.title  # no generated red header: the template has its own
    assert "{{ content }}" not in texts and "抄送：区委办公室" in texts
    assert texts.index("抄送：区委办公室") > texts.index("2022年4月15日")
    assert doc.sections[0].header.paragraphs[0].text == "文号 钢安办〔2022〕12号 {{ unknown }}"
    assert doc.styles[gb.S_BODY.name].font.size == Pt(14)  # the template's own style wins
    assert doc.styles[gb.S_H1.name].element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "黑体"
    assert near(doc.sections[0].left_margin, 20)


def test_template_without_marker(view: BulletinView, tmp_path: Path) -> None:
    tpl = make_template(tmp_path / "tpl.docx", marker=False)
    render_bulletin_docx(view, tmp_path / "b.docx", template=tpl)
    doc = docx.Document(str(tmp_path / "b.docx"))
    texts = [p.text for p in doc.paragraphs]
    assert "模板里的示例文字" not in texts
    assert texts[0] == "钢城区安全生产委员会办公室" and texts[2] == view.title
    assert near(doc.sections[0].left_margin, 20)
    assert doc.sections[0].footer.paragraphs[0].text == "— 1 —"  # template had no footer


def test_letter_template_tags_per_unit(view: BulletinView, tmp_path: Path) -> None:
    doc = docx.Document()
    doc.sections[0].header.paragraphs[0].text = "{{ unit }}（{{ group }}）"
    doc.add_paragraph("{{ content }}")
    doc.save(str(tmp_path / "tpl.docx"))
    paths = render_letters_docx(view.letters[:3], tmp_path / "out", template=tmp_path / "tpl.docx")
    for path, letter in zip(paths, view.letters, strict=False):
        got = docx.Document(str(path))
        assert got.sections[0].header.paragraphs[0].text == f"{letter.unit}（{letter.group}）"
        assert got.paragraphs[2].text == f"{letter.unit}："


def test_cn_number() -> None:
    assert [cn_number(n) for n in (1, 9, 10, 11, 20, 27, 99)] == [
        "一",
        "九",
        "十",
        "十一",
        "二十",
        "二十七",
        "九十九",
    ]


# --- templates from outside: a hardened parser, clean refusals --------------------------------


def _with_font_table(tmp_path: Path, xml: bytes) -> Path:
    """A valid template whose word/fontTable.xml is replaced by ``xml``."""
    plain = tmp_path / "plain.docx"
    docx.Document().save(str(plain))
    out = tmp_path / "tpl.docx"
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = xml if info.filename == "word/fontTable.xml" else src.read(info)
            dst.writestr(info.filename, data)
    return out


FONTS_HEAD = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
FONTS_OPEN = f'<w:fonts xmlns:w="{W}">'.encode()


@pytest.mark.parametrize(
    "doctype",
    [
        # billion laughs: expanded, 10^9 copies of "ha"
        b'<!DOCTYPE w:fonts [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>',
        # an external entity naming a local file
        b'<!DOCTYPE w:fonts [<!ENTITY x SYSTEM "file:///etc/hostname">]>',
    ],
    ids=["billion-laughs", "external-entity"],
)
def test_template_font_table_with_a_dtd_is_refused(
    view: BulletinView, tmp_path: Path, doctype: bytes
) -> None:
    body = b'<w:font w:name="&x;"/>' if b"file:" in doctype else b'<w:font w:name="&d;"/>'
    tpl = _with_font_table(tmp_path, FONTS_HEAD + doctype + FONTS_OPEN + body + b"</w:fonts>")
    with pytest.raises(TemplateError, match=r"word/fontTable\.xml"):
        render_bulletin_docx(view, tmp_path / "b.docx", template=tpl)
    assert not (tmp_path / "b.docx").exists()


def test_hardened_parser_expands_nothing() -> None:
    """Even below the DOCTYPE check, the parser itself neither expands nor fetches entities."""
    xml = b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/hostname"><!ENTITY y "yy">]><r>&x;&y;</r>'
    with pytest.raises(TemplateError, match="DOCTYPE"):
        gb.parse_part(xml, "part.xml")
    with pytest.raises(TemplateError, match=r"part\.xml"):
        gb.parse_part(b"<r><unclosed></r>", "part.xml")
    # without a DOCTYPE nothing is refused and the tree is what was written
    root = gb.parse_part(b"<r><a>text</a></r>", "part.xml")
    assert root.findtext("a") == "text"


@pytest.mark.parametrize("content", [b"not a zip", b"PK\x03\x04broken"], ids=["text", "broken-zip"])
def test_a_template_that_is_not_a_docx_is_refused(view: BulletinView, tmp_path: Path, content: bytes) -> None:
    tpl = tmp_path / "tpl.docx"
    tpl.write_bytes(content)
    with pytest.raises(TemplateError) as err:
        render_bulletin_docx(view, tmp_path / "b.docx", template=tpl)
    assert str(tpl) in str(err.value)  # the user is told which file


def test_an_xlsx_given_as_template_is_refused(tmp_path: Path) -> None:
    import openpyxl

    path = tmp_path / "tpl.docx"
    openpyxl.Workbook().save(path)
    with pytest.raises(TemplateError):
        check_template(path)
    check_template(make_template(tmp_path / "good.docx", marker=True))  # a usable one passes


# --- page one: the ranking starts under the red header and breaks across pages -------------------


def test_ranking_starts_right_under_its_heading(bulletin: DocumentObject, view: BulletinView) -> None:
    body = list(bulletin.element.body)
    first = bulletin.tables[0]._tbl
    before = body[body.index(first) - 1]
    g = view.groups[0]
    # one heading line with the group's size and scale, no paragraph between it and the table
    assert before.style == gb.S_H2.style_id
    assert (
        "".join(t.text for t in before.iter(qn("w:t")))
        == f"（一）{g.title}（{len(g.rows)}个单位，满分{g.scale}分）"
    )


def test_ranking_table_may_break_keeping_its_header_with_the_first_row(bulletin: DocumentObject) -> None:
    styles = {s.style_id: s for s in bulletin.styles if s.type == 1}
    tbl = bulletin.tables[0]
    rows = tbl.rows
    # the header row repeats on every page and stays with the first unit's row
    assert rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    head_style = styles[rows[0].cells[0].paragraphs[0]._p.style]
    assert head_style.paragraph_format.keep_with_next is True
    # data rows do not hold on to each other: the table breaks between any two of them
    for row in rows[1:]:
        for cell in row.cells:
            for p in cell.paragraphs:
                assert not styles[p._p.style].paragraph_format.keep_with_next
                assert p.paragraph_format.keep_with_next is None
        assert row._tr.trPr.find(qn("w:cantSplit")) is not None  # a row itself never splits
    # the headings above it are kept with the table
    for spec in (gb.S_H1, gb.S_H2):
        assert bulletin.styles[spec.name].paragraph_format.keep_with_next is True


def test_title_lines_are_off_the_line_grid(bulletin: DocumentObject) -> None:
    """35 pt title lines as Word lays them out; LibreOffice would snap each to two 28.95 pt lines."""

    def snap(spec: gb.StyleSpec) -> str | None:
        el = bulletin.styles[spec.name].element.pPr.find(qn("w:snapToGrid"))
        return None if el is None else el.get(qn("w:val"))

    assert snap(gb.S_TITLE) == "0" and snap(gb.S_CELL) == "0" and snap(gb.S_ISSUER) == "0"
    assert snap(gb.S_BODY) is None and snap(gb.S_H1) is None  # body text stays on the 22-line grid


def test_add_row_writes_what_python_docx_would() -> None:
    """blocks.add_row builds rows as XML text for speed; they must equal python-docx's own."""
    from docx.oxml import OxmlElement

    from safescore.render.docx import blocks

    doc = docx.Document()
    style = doc.styles["Normal"]
    cells = [(["1"], style), (["甲 & <乙>", "第二段"], style), ([""], style), ([], style)]

    def by_python_docx(t: Any) -> None:
        row = t.add_row()
        row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
        for cell, (texts, st) in zip(row.cells, cells, strict=True):
            blocks._cell_text(cell, texts, st)

    fast = blocks.table(doc, (10, 40, 20, 20), ("a", "b", "c", "d"), style)
    slow = blocks.table(doc, (10, 40, 20, 20), ("a", "b", "c", "d"), style)
    blocks.add_row(fast, cells)
    by_python_docx(slow)
    assert len(fast._tbl.tr_lst) == 2
    assert etree.tostring(fast._tbl.tr_lst[1]) == etree.tostring(slow._tbl.tr_lst[1])
    assert [c.text for c in fast.rows[1].cells] == ["1", "甲 & <乙>\n第二段", "", ""]
