"""History (SPEC 7): every scored period stored, re-scoring keeps the old version, rank change.

Store tests run on SQLite (a file in tmp) and on PostgreSQL when
SAFESCORE_TEST_PG_URL names a server (CI starts one with scripts/ci_postgres.sh).
Without one the PostgreSQL cases are skipped with the reason, and a
``PostgresNotTested`` warning puts that reason in the run's warnings summary too.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import subprocess
import sys
import uuid
import warnings
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from conftest import ROOT
from helpers import load_ok, make_inputs
from rich.console import Console

from safescore import load_rubric, read_inputs
from safescore.api import score
from safescore.cli.history_cmd import history_list, history_show, previous_for, store_after_score
from safescore.history.db_url import DbUrlError, resolve_db_url
from safescore.history.store import SCHEMA_VERSION, HistoryError, HistoryStore, RunNotFound, runs_table
from safescore.results.model import Result
from safescore.results.previous import period_key, previous_label, rank_change, with_previous
from safescore.rubric.model import Rubric

PG_ENV = "SAFESCORE_TEST_PG_URL"

RUBRIC = """\
rubric: hist-test
title: 历史记录测试
period: {period}
scale: 100
decimals: 2
groups:
  - {{id: dept, title: 区直部门}}
  - {{id: street, title: 街道}}
units:
  - {{name: 甲局, group: dept}}
  - {{name: 乙局, group: dept}}
  - {{name: 丙局, group: dept}}
  - {{name: 东街道, group: street}}
fields:
  pts: {{label: 得分, type: number, min: 0}}
  plan: {{label: 是否制定计划, type: bool}}
sections:
  - id: s
    title: 工作
    points: 100
    items:
      - {{id: s.pts, title: 得分, points: 80, rule: {{kind: formula, expr: pts}}}}
      - {{id: s.plan, title: 计划, points: 20, rule: {{kind: check, when: plan}}}}
grades:
  - {{name: 优秀, min: 90}}
  - {{name: 合格}}
"""


class PostgresNotTested(UserWarning):
    """The PostgreSQL history tests did not run here (the message says why)."""


def _pg_skip(reason: str) -> None:
    warnings.warn(reason, PostgresNotTested, stacklevel=2)
    pytest.skip(reason)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty history database: a SQLite file, or a private schema on the test server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'history.db'}"
        return
    base = os.environ.get(PG_ENV, "").strip()
    if not base:
        _pg_skip(f"PostgreSQL history tests skipped: {PG_ENV} is not set (CI runs scripts/ci_postgres.sh)")
    engine = sa.create_engine(base)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:
        engine.dispose()
        first = str(exc).strip().splitlines()[0]
        _pg_skip(f"PostgreSQL history tests skipped: cannot use {PG_ENV} server: {first}")
    # every connection of the store lands in the private schema, so tests never see each other
    url = sa.engine.make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


def rubric(tmp_path: Path, period: str = "quarter") -> Rubric:
    return load_ok(tmp_path, RUBRIC.format(period=period))


def scored(r: Rubric, period: str, pts: dict[str, Any]) -> Result:
    """One period: unit → pts (of 80), every unit with a plan (20)."""
    returns = {u: {"pts": v, "plan": True} for u, v in pts.items()}
    return score(r, make_inputs(r, returns), period)


EVERYONE = {"甲局": "70", "乙局": "60.25", "丙局": "50", "东街道": "75.5"}


# -- store ------------------------------------------------------------------------------------


def test_save_twice_keeps_the_superseded_version(tmp_path: Path, db_url: str) -> None:
    r = rubric(tmp_path)
    first = scored(r, "2022Q1", EVERYONE)
    second = scored(r, "2022Q1", {**EVERYONE, "丙局": "79.99"})
    with HistoryStore(db_url) as store:
        id1 = store.save(first, {"note": "first"})
        id2 = store.save(second, {"note": "second"})
        assert id2 != id1
        current = store.current("hist-test", "2022Q1")
        assert current is not None and current.unit("丙局").total == Decimal("99.99")
        assert current.to_dict() == second.to_dict()  # exact round trip, audit trail included
        assert store.run(id1).unit("丙局").total == Decimal("70")  # the old version is still there
        infos = store.runs()
        assert [(i.id, i.status, i.current) for i in infos] == [
            (id1, "superseded", False),
            (id2, "current", True),
        ]
        assert infos[1].n_units == 4 and infos[1].rubric_sha256 == r.sha256
        assert store.manifest(id1) == {"note": "first"}
        with pytest.raises(RunNotFound):
            store.run(id2 + 100)


def test_one_current_run_per_period_is_enforced_by_the_database(tmp_path: Path, db_url: str) -> None:
    r = rubric(tmp_path)
    with HistoryStore(db_url) as store:
        store.save(scored(r, "2022Q1", EVERYONE))
        row = {
            "rubric_id": "hist-test",
            "period": "2022Q1",
            "period_kind": "quarter",
            "period_ord": 2022 * 4,
            "status": "current",
            "created": sa.func.now(),
            "n_units": 0,
            "results_json": "{}",
            "manifest_json": "{}",
        }
        with pytest.raises(sa.exc.IntegrityError), store.engine.begin() as conn:
            conn.execute(runs_table.insert().values(**row))


def test_concurrent_saves_of_one_period_leave_one_current(tmp_path: Path, db_url: str) -> None:
    import threading

    r = rubric(tmp_path)
    result = scored(r, "2022Q1", EVERYONE)
    with HistoryStore(db_url) as first:
        first.runs()  # tables first, so the race is on the save itself
    errors: list[BaseException] = []

    def saver() -> None:
        with HistoryStore(db_url) as store:
            for _ in range(3):
                try:
                    store.save(result)
                except BaseException as exc:  # collected: an exception in a thread would go unseen
                    errors.append(exc)

    threads = [threading.Thread(target=saver) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with HistoryStore(db_url) as store:
        infos = store.runs()
    assert len(infos) == 12 and sum(i.current for i in infos) == 1


def test_a_failed_save_changes_nothing(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import safescore.history.store as store_mod

    r = rubric(tmp_path)
    with HistoryStore(db_url) as store:
        store.save(scored(r, "2022Q1", EVERYONE))

        def broken(run_id: int, result: Result) -> Iterator[dict[str, Any]]:
            yield from list(store_mod._unit_rows(run_id, result))[:1]
            raise RuntimeError("disk full, say")

        monkeypatch.setattr(store_mod, "_unit_rows", broken)
        with pytest.raises(RuntimeError):
            store.save(scored(r, "2022Q1", {**EVERYONE, "甲局": "1"}))
        assert [i.status for i in store.runs()] == ["current"]
        current = store.current("hist-test", "2022Q1")
        assert current is not None and current.unit("甲局").total == Decimal(90)


def test_unit_and_audit_rows(tmp_path: Path, db_url: str) -> None:
    r = rubric(tmp_path)
    result = scored(r, "2022Q1", EVERYONE)
    with HistoryStore(db_url) as store:
        run_id = store.save(result)
        units = store.unit_rows(run_id)
        assert [(u["unit"], u["group_id"], u["total"], u["rank"], u["grade"]) for u in units] == [
            ("甲局", "dept", Decimal("90"), 1, "优秀"),
            ("乙局", "dept", Decimal("80.25"), 2, "合格"),
            ("丙局", "dept", Decimal("70"), 3, "合格"),
            ("东街道", "street", Decimal("95.5"), 1, "优秀"),
        ]
        audit = store.audit(run_id)
        assert len(audit) == 4 * 2  # unit × item
        row = store.audit(run_id, unit="乙局")[0]
        assert (row["item"], row["score"], row["lost"], row["value"]) == (
            "s.pts",
            Decimal("60.25"),
            Decimal("19.75"),
            "60.25",
        )
        assert (row["source"], row["file"], row["sheet"], row["cell"]) == ("return", "t.xlsx", "S", "B3")


def test_previous_period_across_the_year_boundary(tmp_path: Path, db_url: str) -> None:
    r = rubric(tmp_path)
    with HistoryStore(db_url) as store:
        assert store.previous("hist-test", "2022Q1") is None
        for q in ("2021Q3", "2021Q4", "2022Q1", "2022Q2"):
            store.save(scored(r, q, EVERYONE))
        store.save(scored(r, "2021Q4", {**EVERYONE, "甲局": "10"}))  # re-scored: the current one counts
        prev = store.previous("hist-test", "2022Q1")
        assert prev is not None and prev.period == "2021Q4" and prev.unit("甲局").total == Decimal(30)
        assert store.previous("hist-test", "2022Q2").period == "2022Q1"  # type: ignore[union-attr]
        assert store.previous("hist-test", "2022Q4").period == "2022Q2"  # a gap is skipped over
        assert store.previous("hist-test", "2021Q3") is None
        assert store.previous("other-rubric", "2022Q1") is None
        assert list(store.periods("hist-test", "2022")) == ["2022Q1", "2022Q2"]
        assert list(store.periods("hist-test", "2021", "quarter")) == ["2021Q3", "2021Q4"]
        assert store.periods("hist-test", "2021", "month") == {}


def test_previous_month_and_half(tmp_path: Path, db_url: str) -> None:
    months = rubric(tmp_path / "m", "month") if (tmp_path / "m").mkdir() is None else None
    halves = rubric(tmp_path / "h", "half") if (tmp_path / "h").mkdir() is None else None
    assert months is not None and halves is not None
    with HistoryStore(db_url) as store:
        store.save(scored(months, "2021-12", EVERYONE))
        store.save(scored(halves, "2021H2", EVERYONE))
        assert store.previous("hist-test", "2022-01").period == "2021-12"  # type: ignore[union-attr]
        assert store.previous("hist-test", "2022H1").period == "2021H2"  # type: ignore[union-attr]
        assert store.previous("hist-test", "2022Q1") is None  # another kind of period


def test_schema_version_row_guards_newer_databases(tmp_path: Path, db_url: str) -> None:
    from safescore.history.store import meta_table

    r = rubric(tmp_path)
    with HistoryStore(db_url) as store:
        store.save(scored(r, "2022Q1", EVERYONE))
        with store.engine.begin() as conn:
            assert conn.execute(sa.select(meta_table.c.value)).scalar() == str(SCHEMA_VERSION)
            conn.execute(meta_table.update().values(value=str(SCHEMA_VERSION + 1)))
    with HistoryStore(db_url) as store, pytest.raises(HistoryError, match="结构版本"):
        store.runs()


def test_reading_never_creates_a_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'none' / 'h.db'}"
    with HistoryStore(url, create=False) as store:
        assert (
            store.runs() == [] and store.current("x", "2022Q1") is None and store.periods("x", "2022") == {}
        )
    assert not (tmp_path / "none").exists()


def test_save_needs_a_period(tmp_path: Path) -> None:
    r = rubric(tmp_path)
    with HistoryStore(f"sqlite:///{tmp_path / 'h.db'}") as store, pytest.raises(HistoryError):
        store.save(scored(r, None, EVERYONE))  # type: ignore[arg-type]


# -- real Gangcheng quarters ------------------------------------------------------------------


@pytest.fixture(scope="module")
def gangcheng_two(tmp_path_factory: pytest.TempPathFactory) -> list[Result]:
    """Gangcheng 2021Q4 and 2022Q1 from the shipped generator, scored."""
    r = load_rubric(ROOT / "rubrics" / "gangcheng-sanze.yaml")
    out: list[Result] = []
    for q in ("2021Q4", "2022Q1"):
        folder = tmp_path_factory.mktemp(q)
        gen = ROOT / "examples" / "gangcheng" / "make_data.py"
        subprocess.run(
            [sys.executable, str(gen), "--out", str(folder), "--period", q], check=True, capture_output=True
        )
        inputs = read_inputs(
            r, [folder / f"returns-{q}.xlsx"], {"onsite": [folder / f"onsite-{q}.xlsx"]}, period=q
        )
        out.append(score(r, inputs, q))
    return out


def test_gangcheng_quarters_round_trip_with_rank_change(gangcheng_two: list[Result], db_url: str) -> None:
    q4, q1 = gangcheng_two
    with HistoryStore(db_url) as store:
        store.save(q4, {})
        prev = store.previous(q1.rubric_id, "2022Q1")
        assert prev is not None and prev.to_dict() == q4.to_dict()
        q1 = with_previous(q1, prev)
        run_id = store.save(q1, {})
        assert len(store.audit(run_id)) == sum(len(u.items) for u in q1.units)
        got = store.current(q1.rubric_id, "2022Q1")
        assert got is not None and got.to_dict() == q1.to_dict()
    for u in q1.units:
        assert u.previous_rank == q4.unit(u.unit).rank


# -- rank change ----------------------------------------------------------------------------------


def test_with_previous_up_down_same_and_new(tmp_path: Path) -> None:
    r = rubric(tmp_path)
    before = scored(r, "2022Q1", {"甲局": "70", "乙局": "60", "丙局": "50", "东街道": "75"})
    after = scored(r, "2022Q2", {"甲局": "50", "乙局": "70", "丙局": "60", "东街道": "75"})
    before = dataclasses.replace(before, units=tuple(u for u in before.units if u.unit != "丙局"))
    got = with_previous(after, before)
    change = {u.unit: rank_change(u) for u in got.units}
    assert change == {"甲局": "▼2", "乙局": "▲1", "丙局": "新", "东街道": "="}
    assert with_previous(after, None).unit("甲局").previous_rank is None
    assert rank_change(with_previous(after, None).unit("甲局"), has_previous=False) == "—"


def test_a_unit_that_changed_group_counts_as_new(tmp_path: Path) -> None:
    r = rubric(tmp_path)
    before = scored(r, "2022Q1", EVERYONE)
    moved = dataclasses.replace(before.unit("甲局"), group="street")
    before = dataclasses.replace(before, units=(moved, *(u for u in before.units if u.unit != "甲局")))
    assert with_previous(scored(r, "2022Q2", EVERYONE), before).unit("甲局").previous_rank is None


@pytest.mark.parametrize(
    ("label", "previous"),
    [
        ("2022Q1", "2021Q4"),
        ("2022Q3", "2022Q2"),
        ("2022-01", "2021-12"),
        ("2022-10", "2022-09"),
        ("2022H1", "2021H2"),
        ("2022", "2021"),
        ("nonsense", None),
    ],
)
def test_previous_label(label: str, previous: str | None) -> None:
    assert previous_label(label) == previous


def test_period_keys_order_within_a_kind() -> None:
    assert period_key("2021Q4") < period_key("2022Q1") < period_key("2022Q2")  # type: ignore[operator]
    assert period_key("2022q1") == period_key("2022Q1")


# -- which database ---------------------------------------------------------------------------------


def test_db_url_order(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    sub = project / "inputs" / "2022Q1"
    sub.mkdir(parents=True)
    env: dict[str, str] = {}
    assert (
        resolve_db_url(None, cwd=sub, environ=env)
        == f"sqlite:///{(sub / 'safescore.db').resolve().as_posix()}"
    )
    (project / "safescore.toml").write_text('[history]\nurl = "data/h.db"\n', encoding="utf-8")
    assert (
        resolve_db_url(None, cwd=sub, environ=env)
        == f"sqlite:///{(project / 'data' / 'h.db').resolve().as_posix()}"
    )
    env["SAFESCORE_DB"] = "postgresql+psycopg://u:p@db.example/x"
    assert resolve_db_url(None, cwd=sub, environ=env) == "postgresql+psycopg://u:p@db.example/x"
    assert (
        resolve_db_url("mine.db", cwd=sub, environ=env)
        == f"sqlite:///{(sub / 'mine.db').resolve().as_posix()}"
    )
    assert resolve_db_url("sqlite:///x.db", cwd=sub, environ=env) == "sqlite:///x.db"


def test_config_without_history_url_falls_through(tmp_path: Path) -> None:
    (tmp_path / "safescore.toml").write_text('rubric = "r.yaml"\n', encoding="utf-8")
    assert resolve_db_url(None, cwd=tmp_path, environ={}).endswith("/safescore.db")


def test_broken_config_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "safescore.toml").write_text("[history\nurl = 1", encoding="utf-8")
    with pytest.raises(DbUrlError, match="TOML"):
        resolve_db_url(None, cwd=tmp_path, environ={})


# -- what the CLI calls ---------------------------------------------------------------------------------


def test_store_after_score_says_where_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SAFESCORE_DB", raising=False)
    r = rubric(tmp_path)
    console = Console(record=True, width=200)
    first = scored(r, "2022Q1", EVERYONE)
    url = store_after_score(first, None, None, False, console)
    assert url == f"sqlite:///{(tmp_path / 'safescore.db').resolve().as_posix()}"
    assert console.export_text().count("历史记录已保存到") == 1
    assert previous_for(scored(r, "2022Q2", EVERYONE), None, False) is not None
    assert previous_for(scored(r, "2022Q2", EVERYONE), None, True) is None
    assert store_after_score(first, None, None, True, console) is None  # --no-history
    with HistoryStore(url) as store:
        assert len(store.runs()) == 1
        assert store.manifest(store.runs()[0].id)["period"] == "2022Q1"


def test_store_after_score_reports_a_database_error_and_goes_on(tmp_path: Path) -> None:
    r = rubric(tmp_path)
    console = Console(record=True, width=300)
    bad = "postgresql+psycopg://someone:secret@127.0.0.1:1/nowhere"
    assert store_after_score(scored(r, "2022Q1", EVERYONE), None, bad, False, console) is None
    text = console.export_text(clear=False)
    assert "历史记录未保存" in text and "secret" not in text
    (tmp_path / "dir.db").mkdir()  # a folder where the SQLite file should be
    assert (
        store_after_score(scored(r, "2022Q1", EVERYONE), None, str(tmp_path / "dir.db"), False, console)
        is None
    )
    assert previous_for(scored(r, "2022Q1", EVERYONE), bad, False) is None
    no_driver = "mysql+nosuchdriver://u@127.0.0.1/x"  # an unknown driver is a message, not a traceback
    assert store_after_score(scored(r, "2022Q1", EVERYONE), None, no_driver, False, console) is None
    assert console.export_text().count("历史记录未保存") == 3


def test_history_list_and_show(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    r = rubric(tmp_path)
    db = str(tmp_path / "h.db")
    with HistoryStore(f"sqlite:///{tmp_path / 'h.db'}") as store:
        store.save(scored(r, "2022Q1", EVERYONE))
        store.save(scored(r, "2022Q1", {**EVERYONE, "乙局": "80"}))
    console = Console(file=io.StringIO(), record=True, width=200)  # stdout is for the JSON
    assert history_list(db, None, False, console) == 0
    text = console.export_text()
    assert "2022Q1" in text and "当前" in text and "已替换" in text
    assert history_list(db, None, True, console) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [x["status"] for x in listed["runs"]] == ["superseded", "current"]
    assert history_show(db, "2022Q1", None, False, console) == 0
    assert "100.00" in console.export_text()  # 乙局's re-scored total
    assert history_show(db, "#1", None, True, console) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["run"]["status"] == "superseded" and shown["result"]["period"] == "2022Q1"
    assert history_show(db, "2023Q1", None, False, console) == 2
    assert history_show(str(tmp_path / "none.db"), "2022Q1", None, False, console) == 2
    assert not (tmp_path / "none.db").exists()
