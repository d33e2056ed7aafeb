"""Each unit's history across stored periods (issue 6): carried in results.json, drawn in letters.

Unit level: ``with_previous`` carries the previous result's history forward, ``with_history``
sets it from the history database. End to end: three Gangcheng quarters scored and stored
through the CLI, the fourth gets three points of history per unit in results.json (schema-valid),
an SVG polyline in its HTML letters and a trend picture in its Word letters, also when
re-rendered from results.json.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest
from conftest import ROOT
from helpers import load_ok, make_inputs
from typer.testing import CliRunner

from safescore.api import score
from safescore.cli.app import app
from safescore.history.store import HistoryStore
from safescore.history.trend import unit_history
from safescore.render.bulletin import bulletin_view
from safescore.render.html import render_letter_html
from safescore.render.jsonout import results_schema
from safescore.results.load import load_result, result_from_dict
from safescore.results.model import PeriodPoint, Result
from safescore.results.previous import HISTORY_PERIODS, with_history, with_previous

RUBRIC = """
rubric: tr
title: 走势测试
period: quarter
scale: 10
groups: [{id: g, title: 组}]
units: [{name: 甲, group: g}, {name: 乙, group: g}, {name: 丙, group: g}]
fields: {x: {label: 数值, type: int}}
sections:
  - id: s
    title: 一
    items: [{id: a, title: 数值, points: 10, rule: {kind: formula, expr: x}}]
"""
GANGCHENG = ROOT / "rubrics" / "gangcheng-sanze.yaml"
STORED = ["2021Q2", "2021Q3", "2021Q4"]
CURRENT = "2022Q1"


def quarter(tmp_path: Path, period: str, xs: dict[str, int]) -> Result:
    rubric = load_ok(tmp_path, RUBRIC)
    return score(rubric, make_inputs(rubric, {u: {"x": x} for u, x in xs.items()}), period)


def test_history_is_carried_forward_by_with_previous(tmp_path: Path) -> None:
    q1 = quarter(tmp_path, "2022Q1", {"甲": 9, "乙": 5, "丙": 1})
    q2 = with_previous(quarter(tmp_path, "2022Q2", {"甲": 4, "乙": 8, "丙": 6}), q1)
    q3 = with_previous(quarter(tmp_path, "2022Q3", {"甲": 7, "乙": 7, "丙": 2}), q2)
    jia = q3.unit("甲")
    assert [(p.period, p.total, p.rank) for p in jia.history] == [
        ("2022Q1", Decimal(9), 1),
        ("2022Q2", Decimal(4), 3),
    ]
    assert jia.history[0].group == "g" and jia.history[0].grade is None
    assert with_previous(q3, None).unit("甲").history == ()


def test_with_history_orders_filters_and_trims(tmp_path: Path) -> None:
    q = quarter(tmp_path, "2022Q1", {"甲": 9, "乙": 5, "丙": 1})
    labels = [f"{y}Q{n}" for y in range(2017, 2023) for n in range(1, 5)]  # 2017Q1 … 2022Q4
    points = [PeriodPoint(p, "g", Decimal(i), 1) for i, p in enumerate(reversed(labels))]
    points.append(PeriodPoint("2021", "g", Decimal(1), 1))  # a year is not a quarter
    got = with_history(q, {"甲": points}).unit("甲").history
    assert len(got) == HISTORY_PERIODS
    assert [p.period for p in got] == labels[
        labels.index("2021Q4") - HISTORY_PERIODS + 1 : labels.index("2022Q1")
    ]
    assert with_history(q, {"甲": points}).unit("乙").history == ()
    assert with_history(q, None) is q


def test_history_in_results_json_validates_and_reads_back(tmp_path: Path) -> None:
    q1 = quarter(tmp_path, "2022Q1", {"甲": 9, "乙": 5, "丙": 1})
    q2 = with_previous(quarter(tmp_path, "2022Q2", {"甲": 4, "乙": 8, "丙": 6}), q1)
    data = json.loads(json.dumps(q2.to_dict()))
    jsonschema.validate(data, results_schema())
    assert data["units"][0]["history"] == [
        {"period": "2022Q1", "group": "g", "total": 9, "rank": 1, "grade": None}
    ]
    assert result_from_dict(data).to_dict() == q2.to_dict()
    # a results.json written before history existed still reads
    for u in data["units"]:
        del u["history"]
    assert result_from_dict(data).unit("甲").history == ()


def test_unit_history_query(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'h.db'}"
    with HistoryStore(url) as store:
        for i, period in enumerate(["2021Q3", "2021Q4", "2022Q2"]):
            store.save(quarter(tmp_path, period, {"甲": 9 - i, "乙": 5, "丙": 1}))
        store.save(
            quarter(tmp_path, "2021Q4", {"甲": 2, "乙": 5, "丙": 1})
        )  # re-scored: the current one counts
        got = unit_history(store, "tr", "2022Q2")
        assert [(p.period, p.total, p.rank) for p in got["甲"]] == [
            ("2021Q3", Decimal(9), 1),
            ("2021Q4", Decimal(2), 2),
        ]
        assert unit_history(store, "tr", "2021Q3") == {}
        assert unit_history(store, "other", "2022Q2") == {}


# --- end to end through the CLI ----------------------------------------------------------------


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Gangcheng scored for 2021Q2-Q4 (stored), then 2022Q1 with HTML letters: its output folder."""
    root = tmp_path_factory.mktemp("trend")
    db = root / "history.db"
    runner = CliRunner(env={"COLUMNS": "200", "NO_COLOR": "1"})
    for period in [*STORED, CURRENT]:
        data = root / period
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "examples/gangcheng/make_data.py"),
                "--out",
                data,
                "--period",
                period,
            ],
            check=True,
            capture_output=True,
        )
        fmt = ["--format", "json,html", "--letters"] if period == CURRENT else ["--format", "json"]
        args = [
            "score", str(GANGCHENG), str(data / f"returns-{period}.xlsx"),
            "--source", f"onsite={data / f'onsite-{period}.xlsx'}",
            "--period", period, "--db", str(db), "-o", str(root / f"out-{period}"), "--quiet", *fmt,
        ]  # fmt: skip
        res = runner.invoke(app, args)
        assert res.exit_code == 0, res.output
    return root / f"out-{CURRENT}"


def test_three_stored_periods_give_three_points(scored: Path) -> None:
    data = json.loads((scored / "results.json").read_text("utf-8"))
    jsonschema.validate(data, results_schema())
    for u in data["units"]:
        assert [p["period"] for p in u["history"]] == STORED, u["unit"]
        assert all(isinstance(p["rank"], int) and p["total"] > 0 for p in u["history"])
    # the points are what those periods' own results.json said
    q4 = {
        u["unit"]: u
        for u in json.loads((scored.parent / "out-2021Q4" / "results.json").read_text("utf-8"))["units"]
    }
    for u in data["units"]:
        last = u["history"][-1]
        assert (last["total"], last["rank"], last["grade"]) == (
            q4[u["unit"]]["total"],
            q4[u["unit"]]["rank"],
            q4[u["unit"]]["grade"],
        )


def _trend_polyline(html: str) -> list[tuple[float, float]]:
    fig = re.search(r'<figure class="chart trend">(.*?)</figure>', html, flags=re.S)
    assert fig, "no trend chart"
    m = re.search(r'<polyline points="([^"]+)"', fig.group(1))
    assert m, "no polyline"
    return [tuple(float(v) for v in pt.split(",")) for pt in m.group(1).split()]  # type: ignore[misc]


def test_html_letter_draws_the_trend(scored: Path) -> None:
    letters = sorted((scored / "letters").glob("*.html"))
    assert len(letters) == 27
    html = letters[0].read_text("utf-8")
    assert len(_trend_polyline(html)) == 4  # three stored periods and this one
    assert "2021年第二季度" in html and "2022年第一季度" in html
    assert re.search(r"第\d+名", html)


def test_word_letter_has_the_trend_picture(scored: Path, tmp_path: Path) -> None:
    from PIL import Image

    from safescore.render.docx import render_letter_docx

    result = load_result(scored / "results.json")  # what `safescore report` re-renders from
    view = bulletin_view(result, letters=True)
    letter = view.letters[0]
    assert [p.period for p in letter.trend] == [*STORED, CURRENT]
    path = tmp_path / "letter.docx"
    render_letter_docx(letter, path, charts=True)
    with zipfile.ZipFile(path) as z:
        xml = z.read("word/document.xml").decode()
        media = sorted(n for n in z.namelist() if n.startswith("word/media/"))
        assert xml.count("<pic:pic>") == 2 and len(media) == 2  # section profile, then trend
        trend = Image.open(io.BytesIO(z.read(media[1])))
        trend.load()
        assert trend.format == "PNG" and trend.width > 600 and 200 < trend.height < trend.width


def test_report_re_renders_the_trend(scored: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(
        app, ["report", str(scored / "results.json"), "--format", "html", "--letters", "-o", str(tmp_path)]
    )
    assert res.exit_code == 0, res.output
    html = next((tmp_path / "letters").glob("*.html")).read_text("utf-8")
    assert len(_trend_polyline(html)) == 4


def test_no_history_means_no_trend(tmp_path: Path) -> None:
    q = quarter(tmp_path, "2022Q1", {"甲": 9, "乙": 5, "丙": 1})
    letter = bulletin_view(q, letters=True).letters[0]
    assert letter.trend == ()
    assert 'class="chart trend"' not in render_letter_html(letter, q)
