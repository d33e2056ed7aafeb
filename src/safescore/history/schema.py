"""The history tables (SQLAlchemy Core), prefixed ``safescore_`` to share a database.

See :mod:`safescore.history.store` for what each table holds and why.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

SCHEMA_VERSION = 1
CURRENT, SUPERSEDED = "current", "superseded"


class ExactDecimal(sa.types.TypeDecorator[Decimal]):
    """Decimal in, Decimal out, on every backend (see the module docstring for SQLite)."""

    impl = sa.Numeric(24, 6)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "sqlite":
            # asdecimal=False: we convert ourselves, exactly, instead of SQLAlchemy's warning path
            return dialect.type_descriptor(sa.Numeric(24, 6, asdecimal=False))
        return dialect.type_descriptor(sa.Numeric(24, 6))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        return float(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


metadata = sa.MetaData()

meta_table = sa.Table(
    "safescore_meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.String(256), nullable=False),
)

runs_table = sa.Table(
    "safescore_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("rubric_id", sa.String(128), nullable=False),
    sa.Column("period", sa.String(16), nullable=False),
    sa.Column("period_kind", sa.String(8), nullable=False),
    sa.Column("period_ord", sa.Integer, nullable=False),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("created", sa.DateTime(timezone=True), nullable=False),
    sa.Column("superseded_at", sa.DateTime(timezone=True)),
    sa.Column("rubric_version", sa.String(64)),
    sa.Column("rubric_sha256", sa.String(64)),
    sa.Column("tool_version", sa.String(32)),
    sa.Column("n_units", sa.Integer, nullable=False),
    sa.Column("results_json", sa.Text, nullable=False),
    sa.Column("manifest_json", sa.Text, nullable=False),
    sa.Index("ix_safescore_runs_lookup", "rubric_id", "period_kind", "period_ord"),
)
# One current run per (rubric, period). Only dialects with partial indexes get it:
# a plain unique index elsewhere would forbid keeping superseded versions.
sa.Index(
    "uq_safescore_runs_current",
    runs_table.c.rubric_id,
    runs_table.c.period,
    unique=True,
    sqlite_where=runs_table.c.status == CURRENT,
    postgresql_where=runs_table.c.status == CURRENT,
).ddl_if(dialect=("sqlite", "postgresql"))

units_table = sa.Table(
    "safescore_units",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("safescore_runs.id", ondelete="CASCADE"), nullable=False),
    sa.Column("unit", sa.String(256), nullable=False),
    sa.Column("group_id", sa.String(64), nullable=False),
    sa.Column("status", sa.String(8), nullable=False),
    sa.Column("total", ExactDecimal, nullable=False),
    sa.Column("total_before_veto", ExactDecimal, nullable=False),
    sa.Column("rank", sa.Integer, nullable=False),
    sa.Column("previous_rank", sa.Integer),
    sa.Column("grade", sa.String(32)),
    sa.Column("vetoes", sa.Text, nullable=False),  # JSON list of {id, title, effect}
    sa.Index("ix_safescore_units_run", "run_id", "unit"),
)

audit_table = sa.Table(
    "safescore_audit",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("safescore_runs.id", ondelete="CASCADE"), nullable=False),
    sa.Column("unit", sa.String(256), nullable=False),
    sa.Column("item", sa.String(128), nullable=False),
    sa.Column("section", sa.String(128), nullable=False),
    sa.Column("points", ExactDecimal),
    sa.Column("score", ExactDecimal, nullable=False),
    sa.Column("lost", ExactDecimal, nullable=False),
    sa.Column("value", sa.Text),  # JSON text: numbers, booleans, text and dates alike
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("rule", sa.String(16), nullable=False),
    sa.Column("source", sa.String(64), nullable=False),
    sa.Column("file", sa.Text),
    sa.Column("sheet", sa.String(256)),
    sa.Column("cell", sa.String(16)),
    sa.Index("ix_safescore_audit_run", "run_id", "unit"),
)
