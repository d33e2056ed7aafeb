"""Scored periods in a database (SPEC 7), through SQLAlchemy Core.

Tables (created on first use, prefixed ``safescore_`` so they can share a
PostgreSQL database with other software):

- ``safescore_meta``: key/value rows; ``schema_version`` guards against an
  older safescore writing into a newer layout.
- ``safescore_runs``: one row per ``save``: rubric, period (label, kind and an
  ordinal for "the period before"), status ``current``/``superseded``, the whole
  ``results.json`` text and the manifest. A partial unique index allows one
  ``current`` run per (rubric, period), so two concurrent saves can never both
  win; the loser retries.
- ``safescore_units``: one row per unit (total, rank, grade, vetoes) for SQL use.
- ``safescore_audit``: one row per unit × item with score, value, reason and
  the source file/sheet/cell: the audit trail without re-reading old returns.

The ``results_json`` text is authoritative for reading back a :class:`Result`;
unit and audit rows are a queryable copy. Scores are stored exactly: NUMERIC on
PostgreSQL; on SQLite (which has no decimal type) as REAL, which round-trips
every score since scores have at most 6 decimals and far fewer than 15 digits.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from safescore import __version__
from safescore.history.db_url import display_url, sqlite_path
from safescore.history.schema import (
    CURRENT,
    SCHEMA_VERSION,
    SUPERSEDED,
    audit_table,
    meta_table,
    metadata,
    runs_table,
    units_table,
)
from safescore.results.load import result_from_dict
from safescore.results.model import Result, plain
from safescore.results.previous import PER_YEAR, period_key

CHUNK = 2000  # rows per executemany: bounded memory for 10,000-unit runs
SAVE_ATTEMPTS = 3


class HistoryError(Exception):
    """A history operation that cannot be done; the message is for the user (Chinese)."""


class RunNotFound(HistoryError, LookupError):
    """No run with that id, or no current run for that rubric and period."""


@dataclass(frozen=True)
class RunInfo:
    """One stored run, without its results."""

    id: int
    rubric_id: str
    period: str
    created: dt.datetime
    status: str  # current | superseded
    n_units: int
    rubric_sha256: str | None
    rubric_version: str | None

    @property
    def current(self) -> bool:
        return self.status == CURRENT

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "rubric": self.rubric_id,
            "period": self.period,
            "created": self.created.isoformat(),
            "status": self.status,
            "units": self.n_units,
            "rubric_sha256": self.rubric_sha256,
            "rubric_version": self.rubric_version,
        }


def _json(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), default=str)


def _parse_result(text: str) -> Result:
    # parse_float=Decimal: the stored figures come back exactly as they were scored
    return result_from_dict(json.loads(text, parse_float=Decimal))


def _utc(value: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes; everything is stored in UTC
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _chunks(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def _unit_rows(run_id: int, result: Result) -> Iterator[dict[str, Any]]:
    for u in result.units:
        yield {
            "run_id": run_id,
            "unit": u.unit,
            "group_id": u.group,
            "status": u.status,
            "total": u.total,
            "total_before_veto": u.total_before_veto,
            "rank": u.rank,
            "previous_rank": u.previous_rank,
            "grade": u.grade,
            "vetoes": _json([v.to_dict() for v in u.vetoes]),
        }


def _audit_rows(run_id: int, result: Result) -> Iterator[dict[str, Any]]:
    for u in result.units:
        for it in u.items:
            yield {
                "run_id": run_id,
                "unit": u.unit,
                "item": it.id,
                "section": it.section,
                "points": it.points,
                "score": it.score,
                "lost": it.lost,
                "value": None if it.value is None else _json(plain(it.value)),
                "status": it.status,
                "reason": it.reason,
                "rule": it.rule,
                "source": it.source.name,
                "file": it.source.file,
                "sheet": it.source.sheet,
                "cell": it.source.cell,
            }


class HistoryStore:
    """Every scored period of every rubric, in one database.

    ``create=False`` opens read-only in spirit: a SQLite file that does not
    exist is not created and reads as empty history (``history list`` must not
    leave a stray ``safescore.db`` behind).
    """

    def __init__(self, url: str, *, create: bool = True) -> None:
        self.url = url
        self._create = create
        self._ready = False
        path = sqlite_path(url)
        self._absent = path is not None and not path.exists() and not create
        kwargs: dict[str, Any] = {}
        if path is not None:
            if create:
                path.parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"timeout": 30}  # wait for a concurrent writer instead of failing
        self.engine = sa.create_engine(url, **kwargs)

    # -- lifecycle -----------------------------------------------------------
    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def where(self) -> str:
        """The database as shown to a person (file path, or URL without password)."""
        return display_url(self.url)

    def _has_tables(self) -> bool:
        """Create tables on first use (if allowed); False when there is no history at all."""
        if self._ready:
            return True
        if self._absent:
            return False
        if not self._create:
            with self.engine.connect() as conn:
                if not sa.inspect(conn).has_table(runs_table.name):
                    return False
        for attempt in range(2):
            try:
                with self.engine.begin() as conn:
                    metadata.create_all(conn)
                    found = conn.execute(
                        sa.select(meta_table.c.value).where(meta_table.c.key == "schema_version")
                    ).scalar()
                    if found is None:
                        conn.execute(
                            meta_table.insert().values(key="schema_version", value=str(SCHEMA_VERSION))
                        )
                    elif int(found) > SCHEMA_VERSION:
                        raise HistoryError(
                            f"历史数据库 {self.where} 的结构版本为 {found}，高于本程序支持的 {SCHEMA_VERSION}，请升级 safescore"
                        )
                break
            except (sa.exc.IntegrityError, sa.exc.ProgrammingError):
                # another process created the tables at the same moment; its work is ours
                if attempt:
                    raise
        self._ready = True
        return True

    # -- writing ---------------------------------------------------------------
    def save(self, result: Result, manifest: dict[str, Any] | None = None) -> int:
        """Store ``result`` as the current run of its (rubric, period); return the run id.

        One transaction: the previous current run (if any) becomes superseded
        and stays in the database; the new run, its unit rows and its audit rows
        appear together or not at all.
        """
        if not result.period:
            raise HistoryError("结果没有考核期间（--period），无法保存到历史记录")
        key = period_key(result.period)
        if key is None:
            raise HistoryError(f"期间“{result.period}”不是有效的考核期间，无法保存到历史记录")
        self._has_tables()
        text = _json(result.to_dict())
        row = {
            "rubric_id": result.rubric_id,
            "period": result.period,
            "period_kind": key[0],
            "period_ord": key[1],
            "status": CURRENT,
            "rubric_version": result.rubric_version,
            "rubric_sha256": result.rubric_sha256,
            "tool_version": __version__,
            "n_units": len(result.units),
            "results_json": text,
            "manifest_json": _json(manifest or {}),
        }
        for attempt in range(SAVE_ATTEMPTS):
            try:
                with self.engine.begin() as conn:
                    return self._save_in(conn, result, row)
            except sa.exc.IntegrityError:
                # a concurrent save of the same period became current first; supersede it and retry
                if attempt == SAVE_ATTEMPTS - 1:
                    raise HistoryError(
                        f"{result.rubric_id} {result.period} 正被另一进程同时保存，请稍后重试"
                    ) from None
        raise AssertionError("unreachable")

    def _save_in(self, conn: Connection, result: Result, row: dict[str, Any]) -> int:
        if conn.dialect.name == "postgresql":
            # saves of one (rubric, period) queue up instead of colliding on the current-run index;
            # released at commit/rollback. SQLite needs none: its writers are serialised already.
            key = f"safescore:{result.rubric_id}:{result.period}"
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})
        now = dt.datetime.now(dt.UTC)
        conn.execute(
            runs_table.update()
            .where(
                runs_table.c.rubric_id == result.rubric_id,
                runs_table.c.period == result.period,
                runs_table.c.status == CURRENT,
            )
            .values(status=SUPERSEDED, superseded_at=now)
        )
        inserted = conn.execute(runs_table.insert().values(**row, created=now))
        run_id = int(inserted.inserted_primary_key[0])
        for batch in _chunks(_unit_rows(run_id, result)):
            conn.execute(units_table.insert(), batch)
        for batch in _chunks(_audit_rows(run_id, result)):
            conn.execute(audit_table.insert(), batch)
        return run_id

    # -- reading -----------------------------------------------------------------
    def _one_result(self, query: sa.Select[Any]) -> Result | None:
        if not self._has_tables():
            return None
        with self.engine.connect() as conn:
            text = conn.execute(query).scalar()
        return None if text is None else _parse_result(text)

    def current(self, rubric_id: str, period: str) -> Result | None:
        """The current run of (rubric, period), or None if never stored."""
        return self._one_result(
            sa.select(runs_table.c.results_json).where(
                runs_table.c.rubric_id == rubric_id,
                runs_table.c.period == period,
                runs_table.c.status == CURRENT,
            )
        )

    def previous(self, rubric_id: str, period: str) -> Result | None:
        """The latest stored period of the same kind strictly before ``period`` (2022Q1 → 2021Q4).

        A gap is skipped over: with 2021Q4 never scored, 2022Q1 compares with 2021Q3.
        """
        key = period_key(period)
        if key is None:
            return None
        return self._one_result(
            sa.select(runs_table.c.results_json)
            .where(
                runs_table.c.rubric_id == rubric_id,
                runs_table.c.period_kind == key[0],
                runs_table.c.period_ord < key[1],
                runs_table.c.status == CURRENT,
            )
            .order_by(runs_table.c.period_ord.desc())
            .limit(1)
        )

    def periods(self, rubric_id: str, year: str, kind: str | None = None) -> dict[str, Result]:
        """Current results of the periods of ``year`` (of ``kind`` if given), by period label, in order."""
        if not self._has_tables():
            return {}
        query = sa.select(runs_table.c.period, runs_table.c.period_kind, runs_table.c.results_json).where(
            runs_table.c.rubric_id == rubric_id, runs_table.c.status == CURRENT
        )
        kinds = [kind] if kind is not None else list(PER_YEAR)
        # each kind's periods of one year are a contiguous ordinal range
        query = query.where(
            sa.or_(
                *(
                    sa.and_(
                        runs_table.c.period_kind == k,
                        runs_table.c.period_ord >= int(year) * PER_YEAR[k],
                        runs_table.c.period_ord < (int(year) + 1) * PER_YEAR[k],
                    )
                    for k in kinds
                )
            )
        ).order_by(runs_table.c.period_kind, runs_table.c.period_ord)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return {r.period: _parse_result(r.results_json) for r in rows}

    def runs(self, rubric_id: str | None = None) -> list[RunInfo]:
        """Every stored run (current and superseded), by rubric, period, then age."""
        if not self._has_tables():
            return []
        c = runs_table.c
        query = sa.select(
            c.id, c.rubric_id, c.period, c.created, c.status, c.n_units, c.rubric_sha256, c.rubric_version
        ).order_by(c.rubric_id, c.period_kind, c.period_ord, c.id)
        if rubric_id is not None:
            query = query.where(c.rubric_id == rubric_id)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [
            RunInfo(
                r.id,
                r.rubric_id,
                r.period,
                _utc(r.created),
                r.status,
                r.n_units,
                r.rubric_sha256,
                r.rubric_version,
            )
            for r in rows
        ]

    def run(self, run_id: int) -> Result:
        """The result stored by run ``run_id`` (current or superseded)."""
        found = self._one_result(sa.select(runs_table.c.results_json).where(runs_table.c.id == run_id))
        if found is None:
            raise RunNotFound(f"历史记录中没有编号为 {run_id} 的记录")
        return found

    def manifest(self, run_id: int) -> dict[str, Any]:
        """The manifest saved with run ``run_id``."""
        rows = self._rows(sa.select(runs_table.c.manifest_json).where(runs_table.c.id == run_id))
        if not rows:
            raise RunNotFound(f"历史记录中没有编号为 {run_id} 的记录")
        return dict(json.loads(rows[0]["manifest_json"]))

    def audit(self, run_id: int, unit: str | None = None) -> list[dict[str, Any]]:
        """Audit rows of a run (one per unit × item), optionally of one unit, in stored order."""
        query = sa.select(audit_table).where(audit_table.c.run_id == run_id)
        if unit is not None:
            query = query.where(audit_table.c.unit == unit)
        return self._rows(query.order_by(audit_table.c.id))

    def unit_rows(self, run_id: int) -> list[dict[str, Any]]:
        """Unit rows of a run, in stored order."""
        return self._rows(
            sa.select(units_table).where(units_table.c.run_id == run_id).order_by(units_table.c.id)
        )

    def _rows(self, query: sa.Select[Any]) -> list[dict[str, Any]]:
        if not self._has_tables():
            return []
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]
