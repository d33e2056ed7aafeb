"""HTML bulletin and letters, and the SVG charts (SPEC 5 bulletin/letters/charts, SPEC 9 escaping).

A small hand-built Result with hostile unit names carries most checks (fast, exact numbers
known); one test renders the real Gangcheng run and cross-checks it against the Result.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field, replace
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from safescore.render.bulletin import Issuer, bulletin_view, letter_view
from safescore.render.html import cn_number, render_bulletin_html, render_letter_html, write_html
from safescore.render.svg import bars_svg, profile_svg, trend_svg
from safescore.results.model import (
    GroupResult,
    ItemScore,
    Result,
    SectionScore,
    SourceRef,
    UnitResult,
    VetoHit,
)

D = Decimal
EVIL = "<script>alert(1)</script>"
AMP = "A&B 公司"
LONG = "长" * 100 + "x" * 100
ISSUER = Issuer(name="某区安全生产委员会办公室", doc_number="某安办〔2022〕7号", date=dt.date(2022, 4, 15))

# ---------------------------------------------------------------- a tiny DOM over html.parser

VOID = {"meta", "br", "hr", "img", "link", "input", "col", "area", "base", "wbr", "source"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def find_all(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> list[Node]:
        out = []
        for c in self.children:
            if isinstance(c, str):
                continue
            if (
                (tag is None or c.tag == tag)
                and (cls is None or cls in c.classes())
                and all(c.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items())
            ):
                out.append(c)
            out.extend(c.find_all(tag, cls, **attrs))
        return out

    def rows(self) -> list[Node]:
        """The body rows of a table."""
        return self.one("tbody").find_all("tr")

    def one(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> Node:
        found = self.find_all(tag, cls, **attrs)
        assert len(found) == 1, (tag, cls, attrs, len(found))
        return found[0]


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}> at {self.getpos()}"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(html: str) -> Node:
    b = _Builder()
    b.feed(html)
    b.close()
    assert b.stack == [b.root], "unclosed elements"
    return b.root


def cells(row: Node) -> list[str]:
    return [td.text().strip() for td in row.find_all("td")]


def svgs(html: str) -> list[ET.Element]:
    """Every inline chart, parsed as XML: malformed or unescaped text would not parse."""
    return [ET.fromstring(m) for m in re.findall(r"<svg\b.*?</svg>", html, flags=re.S)]


def svg_texts(el: ET.Element) -> list[str]:
    return ["".join(e.itertext()) for e in el.iter() if e.tag in ("text", "title")]


# ---------------------------------------------------------------- a hand-built result


def _item(iid: str, title: str, points: int, score: str, reason: str, **kw: Any) -> ItemScore:
    section = "s1" if iid.startswith("x") else "s2"
    src = SourceRef("returns", "r.xlsx", "报表", "C3")
    lost = D(points) - D(score)
    it = ItemScore(iid, title, section, D(points), D(score), lost, None, "ok", reason, "deduct", None, src)
    return replace(it, **kw)


def _unit(
    name: str, group: str, total: str, rank: int, grade: str, items: tuple[ItemScore, ...], **kw: Any
) -> UnitResult:
    s1 = D(60) - sum((i.lost for i in items if i.section == "s1"), D(0))
    s2 = D(total) - s1
    sections = (SectionScore("s1", "责任落实", D(60), s1, s1), SectionScore("s2", "隐患治理", D(40), s2, s2))
    u = UnitResult(name, group, "已报送", D(total), D(total), rank, grade, sections, items, D(0), D(0))
    return replace(u, **kw)


def tiny_result() -> Result:
    x = "x.meet", "定期研究部署", 10
    y = "y.fix", "隐患整改", 20
    ev = ("<img src=x onerror=alert(2)>", "照片2张")
    veto = (VetoHit("v.acc", "发生较大事故", "fail"),)
    missing = _item(*x, "0", "未填报：会议次数，不得分", status="missing")
    units = (
        _unit("甲局", "a", "95", 1, "优秀", (_item(*x, "5", "少召开1次，扣5分"),), self_total=D("98")),
        _unit(
            EVIL,
            "a",
            "90",
            2,
            "良好",
            (_item(*x, "7", "少召开1次，扣3分"), _item(*y, "18", "逾期1处", evidence=ev)),
        ),
        _unit(
            AMP,
            "a",
            "80",
            3,
            "合格",
            (_item(*y, "10", "逾期5处 & 未复查"),),
            vetoes=veto,
            warnings=("连续两期排名末位",),
        ),
        _unit(LONG, "a", "70", 4, "不合格", (_item(*x, "6", "少召开1次，扣4分"),), callouts=("bottom",)),
        _unit("东街道", "b", "88", 1, "良好", (), previous_rank=2),
        _unit("西街道", "b", "0", 2, "不合格", (missing,), status="未报送", previous_rank=1),
    )
    groups = (
        GroupResult("a", "区直部门", 4, D(100), ("甲局", EVIL, AMP, LONG), bottom=(LONG,)),
        GroupResult("b", "街道", 2, D(100), ("东街道", "西街道")),
    )
    return Result(
        "t", "某区安全生产考评细则", "1", None, "2022Q1", 2, groups, units, not_submitted=("西街道",)
    )


@pytest.fixture(scope="module")
def tiny() -> tuple[Result, str]:
    res = tiny_result()
    return res, render_bulletin_html(bulletin_view(res, ISSUER, letters=True), res)


# ---------------------------------------------------------------- bulletin


def test_header_title_issuer_and_signature(tiny: tuple[Result, str]) -> None:
    res, html = tiny
    doc = parse(html)
    view = bulletin_view(res, ISSUER)
    assert view.title == "关于2022年第一季度某区安全生产考评结果的通报"
    assert doc.one("head").one("title").text() == view.title
    assert doc.one("h1", id="title").text() == view.title
    head = doc.one("header", "redhead")
    assert head.one("p", "issuer").text() == ISSUER.name
    assert head.one("p", "docno").text() == ISSUER.doc_number
    sign = doc.one("div", "sign")
    assert sign.one("p", "issuer-sign").text() == ISSUER.name
    assert sign.one("p", "date").text() == "2022年4月15日"
    headings = [h.text() for h in doc.find_all("h2")]
    assert headings[0] == "一、考评结果" and headings[-1].endswith("下一步工作要求")
    assert [p.text() for p in doc.find_all("p", "attach-no")] == ["附件1", "附件2"]


def test_ranking_tables_in_order_with_totals(tiny: tuple[Result, str]) -> None:
    res, html = tiny
    doc = parse(html)
    for g in res.groups:
        table = doc.one("table", "rank", data_group=g.id)
        rows = [cells(tr) for tr in table.rows()]
        want = [[str(u.rank), u.unit, f"{u.total:.2f}"] for u in res.group_units(g.id)]
        assert [r[:3] for r in rows] == want
        header = [th.text() for th in table.find_all("th")]
        assert header[:5] == ["排名", "单位", "总分满分100", "等次", "较上期"]
        assert header[5:7] == ["责任落实60", "隐患治理40"] and header[-1] == "标记"
    street = [cells(tr) for tr in doc.one("table", "rank", data_group="b").rows()]
    assert [r[4] for r in street] == ["▲1", "▼1"]
    assert "未报送" in street[1][-1]
    dept = [cells(tr) for tr in doc.one("table", "rank", data_group="a").rows()]
    assert "一票否决：发生较大事故" in dept[2][-1]


def test_called_out_and_commended(tiny: tuple[Result, str]) -> None:
    _, html = tiny
    doc = parse(html)
    called = doc.one("div", "called-out")
    assert called.one("p", data_group="a").one("span", "units").text() == LONG
    assert called.find_all("p", data_group="b") == []
    tinted = [cells(tr)[1] for tr in doc.find_all("tr", "called")]
    assert tinted == [LONG]
    assert doc.one("div", "commended").one("p", data_group="a").text() == "区直部门：甲局。"


def test_reasons_aggregated_by_item(tiny: tuple[Result, str]) -> None:
    _, html = tiny
    doc = parse(html)
    reasons = doc.find_all("div", "reason")
    # x.meet: 甲局 5 + EVIL 3 + LONG 4 + 西街道 10 = 22 over 4 units; y.fix: 2 + 10 = 12 over 2
    assert [r.attrs["data-item"] for r in reasons] == ["x.meet", "y.fix"]
    got = [(r.one("span", "units").text(), r.one("span", "lost").text()) for r in reasons]
    assert got == [("4", "22.00"), ("2", "12.00")]
    examples = [li.text() for li in reasons[0].find_all("li")]
    assert examples == ["甲局：少召开1次，扣5分", f"{EVIL}：少召开1次，扣3分", f"{LONG}：少召开1次，扣4分"]


def test_vetoes_warnings_not_submitted_next_steps(tiny: tuple[Result, str]) -> None:
    _, html = tiny
    doc = parse(html)
    assert [p.text() for p in doc.find_all("p", "veto-line")] == [f"{AMP}：发生较大事故，实行一票否决。"]
    assert [p.text() for p in doc.find_all("p", "warning-line")] == [f"{AMP}：连续两期排名末位。"]
    assert doc.one("div", "not-submitted").one("span", "units").text() == "西街道"
    steps = doc.one("div", "next-steps").find_all("p")
    assert [p.text() for p in steps] == [
        f"（{cn_number(i + 1)}）{s}" for i, s in enumerate(Issuer().next_steps)
    ]


def test_attachments_cover_every_unit(tiny: tuple[Result, str]) -> None:
    res, html = tiny
    doc = parse(html)
    a1 = doc.one("section", id="attachment-1")
    assert [cells(tr)[1] for t in a1.find_all("table") for tr in t.rows()] == [
        u.unit for g in res.groups for u in res.group_units(g.id)
    ]
    blocks = doc.one("section", id="attachment-2").find_all("div", "unit-block")
    assert [b.attrs["data-unit"] for b in blocks] == [
        u.unit for g in res.groups for u in res.group_units(g.id)
    ]
    evil = blocks[1]
    assert [tr.attrs["data-item"] for tr in evil.rows()] == ["x.meet", "y.fix"]
    assert [li.text() for li in evil.find_all("li")] == ["<img src=x onerror=alert(2)>", "照片2张"]
    assert "本期无扣分事项" in blocks[4].text()  # 东街道 lost nothing
    assert blocks[2].one("p", "veto").text() == "一票否决：发生较大事故"


def test_without_letters_the_attachment_is_still_complete() -> None:
    res = tiny_result()
    html = render_bulletin_html(bulletin_view(res, ISSUER, letters=False), res)
    blocks = parse(html).one("section", id="attachment-2").find_all("div", "unit-block")
    assert len(blocks) == len(res.units)


def test_self_contained_and_escaped(tiny: tuple[Result, str]) -> None:
    _, html = tiny
    assert not re.search(r"https?://", html)
    assert not re.search(r"<script[^>]*\bsrc\s*=", html, flags=re.I)
    assert not re.search(r"<link\b", html, flags=re.I)
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "A&amp;B 公司" in html
    doc = parse(html)
    assert doc.find_all("img") == []
    scripts = doc.find_all("script")
    assert len(scripts) == 1 and "src" not in scripts[0].attrs
    assert "default-src 'none'" in doc.one("meta", http_equiv="Content-Security-Policy").attrs["content"]
    assert [cells(tr)[1] for tr in doc.find_all("tr", data_unit=EVIL)] == [EVIL, EVIL]  # ranking, 附件1
    assert LONG in doc.text()  # the long name is in the tables in full


def test_charts_parse_and_escape(tiny: tuple[Result, str]) -> None:
    _, html = tiny
    charts = svgs(html)
    assert len(charts) == 2  # one bar chart per group
    texts = svg_texts(charts[0])
    assert f"{EVIL}：90.00" in texts and f"{AMP}：80.00" in texts  # full names in tooltips
    labels = [t for t in texts if t.startswith("长")]
    assert any(t.endswith("…") and len(t) < 40 for t in labels), "long name cut in the chart"
    for el in charts:
        assert all(e.tag != "script" for e in el.iter())


def test_deterministic(tiny: tuple[Result, str]) -> None:
    res, html = tiny
    again = render_bulletin_html(bulletin_view(tiny_result(), ISSUER, letters=True), res)
    assert again == html
    lt = letter_view(res, res.unit(EVIL))
    assert render_letter_html(lt, res) == render_letter_html(lt, res)


# ---------------------------------------------------------------- letters


def test_letter_for_a_hostile_name() -> None:
    res = tiny_result()
    html = render_letter_html(letter_view(res, res.unit(EVIL)), res, issuer=ISSUER)
    assert "<script>alert" not in html and not re.search(r"https?://", html)
    doc = parse(html)
    facts = doc.one("dl", "facts")
    assert facts.one("dd", "unit").text() == EVIL
    assert facts.one("dd", "rank").text() == "2/4"
    assert facts.one("dd", "total").text() == "90.00"
    rows = [cells(tr) for tr in doc.one("table", "deductions").rows()]
    assert [r[:4] for r in rows] == [
        ["定期研究部署", "10", "7.00", "3.00"],
        ["隐患整改", "20", "18.00", "2.00"],
    ]
    assert rows[1][4] == "逾期1处" and rows[1][6] == "报表 C3"
    sections = [cells(tr) for tr in doc.one("table", "sections").rows()]
    assert sections == [["责任落实", "60", "57.00", "3.00"], ["隐患治理", "40", "33.00", "7.00"]]
    (chart,) = svgs(html)
    assert f"{EVIL}各一级指标得分率" in svg_texts(chart)
    assert doc.one("div", "sign").one("p", "issuer-sign").text() == ISSUER.name


def test_letter_veto_and_self_score() -> None:
    res = tiny_result()
    doc = parse(render_letter_html(letter_view(res, res.unit(AMP)), res))
    assert [p.text() for p in doc.find_all("p", "veto")] == ["一票否决：发生较大事故"]
    assert doc.find_all("header") == [] and doc.find_all("div", "sign") == []
    doc = parse(render_letter_html(letter_view(res, res.unit("甲局")), res))
    assert doc.one("dd", "self").text() == "98.00（考评95.00，差+3.00）"


def test_write_html_is_atomic_utf8(tmp_path: Path) -> None:
    target = tmp_path / "out" / "通报.html"
    write_html("<p>钢城</p>", target)
    write_html("<p>钢城区</p>", target)
    assert target.read_text(encoding="utf-8") == "<p>钢城区</p>"
    assert [p.name for p in target.parent.iterdir()] == ["通报.html"]


# ---------------------------------------------------------------- svg helpers


def test_svg_functions() -> None:
    bars = bars_svg(["甲", EVIL], ["0", "5"], 0, ["#000"], "<标题>&", standalone=True)
    root = ET.fromstring(bars)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert "<标题>&" in ["".join(e.itertext()) for e in root.iter()]
    prof = ET.fromstring(profile_svg(["责任落实", "空"], ["30.00", D("1")], [60, 0]))
    assert "30.00/60 50.0%" in svg_texts(prof) and "1/0 0.0%" in svg_texts(prof)
    trend = ET.fromstring(trend_svg(["2022Q1", "2022Q2", "2022Q3", "2022Q4"], ["90", None, 80.5, D("85")]))
    assert len(trend.findall("polyline")) == 1 and len(trend.findall("circle")) == 3
    assert "暂无数据" in svg_texts(ET.fromstring(trend_svg([], [])))
    assert bars == bars_svg(["甲", EVIL], ["0", "5"], 0, ["#000"], "<标题>&", standalone=True)


def test_cn_number() -> None:
    assert [cn_number(n) for n in (1, 10, 11, 20, 32, 99)] == ["一", "十", "十一", "二十", "三十二", "九十九"]


# ---------------------------------------------------------------- the real example


def test_gangcheng_bulletin_matches_result(gangcheng_result: Result) -> None:
    res = gangcheng_result
    html = render_bulletin_html(bulletin_view(res, ISSUER), res)
    doc = parse(html)
    for g in res.groups:
        rows = [cells(tr) for tr in doc.one("table", "rank", data_group=g.id).rows()]
        assert [r[1] for r in rows] == list(g.ranking)
        assert [r[2] for r in rows] == [f"{u.total:.{res.decimals}f}" for u in res.group_units(g.id)]
    # every item that cost points is listed once, with its unit count taken from the Result;
    # penalty items (减分: 通报批评 p.notice, 媒体曝光 p.media) cost their score
    lost: dict[str, set[str]] = {}
    for u in res.units:
        for it in u.items:
            cost = it.score if it.section == "penalty" else it.lost
            if it.section != "bonus" and cost > 0:
                lost.setdefault(it.id, set()).add(u.unit)
    assert {"p.notice", "p.media"} <= set(lost)
    got = {r.attrs["data-item"]: int(r.one("span", "units").text()) for r in doc.find_all("div", "reason")}
    assert got == {k: len(v) for k, v in lost.items()}
    assert len(doc.one("section", id="attachment-2").find_all("div", "unit-block")) == len(res.units)
    assert len(svgs(html)) == len(res.groups) and not re.search(r"https?://", html)
