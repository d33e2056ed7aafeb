"""Problems are values, not exceptions.

Every reader, loader and the engine adds :class:`Problem` objects to a
:class:`Report` with the most exact position it knows (file, sheet, cell, YAML
line). Work continues; the report is shown whole at the end so a user can fix a
workbook in one pass. :class:`SafescoreError` wraps problems only where work
cannot go on (a rubric that does not load, an output folder that cannot be
written).

Codes are stable kebab-case strings; tests assert on codes and positions, never
on message text.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]
Category = Literal["rubric", "input", "scoring", "usage", "io"]

SEVERITY_LABEL = {"error": "错误", "warning": "警告", "info": "提示"}

ROW_COLUMNS = (
    "severity",
    "code",
    "file",
    "sheet",
    "cell",
    "line",
    "column",
    "unit",
    "field",
    "value",
    "expected",
    "message",
)


@dataclass(frozen=True)
class Problem:
    """One problem found anywhere, with its position.

    ``value`` is what was seen (as text), ``expected`` says what would have been
    accepted. ``line``/``column`` are 1-based positions in a YAML file.
    """

    code: str
    message: str
    severity: Severity = "error"
    category: Category = "input"
    file: str | None = None
    sheet: str | None = None
    cell: str | None = None
    line: int | None = None
    column: int | None = None
    unit: str | None = None
    field: str | None = None
    value: str | None = None
    expected: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def where(self) -> str:
        """Human position string: ``file:line:col`` or ``file [sheet] B7``."""
        parts: list[str] = []
        if self.file:
            loc = self.file
            if self.line is not None:
                loc += f":{self.line}"
                if self.column is not None:
                    loc += f":{self.column}"
            parts.append(loc)
        if self.sheet:
            parts.append(f"[{self.sheet}]")
        if self.cell:
            parts.append(self.cell)
        return " ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Report:
    """An ordered collection of problems with counting helpers."""

    problems: list[Problem] = field(default_factory=list)

    def add(self, problem: Problem) -> Problem:
        self.problems.append(problem)
        return problem

    def extend(self, problems: Iterable[Problem]) -> None:
        self.problems.extend(problems)

    def __iter__(self) -> Iterator[Problem]:
        return iter(self.problems)

    def __len__(self) -> int:
        return len(self.problems)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        """True when there is no error (warnings allowed)."""
        return not self.errors

    def by_code(self) -> dict[str, int]:
        return dict(Counter(p.code for p in self.problems))

    def codes(self) -> list[str]:
        return [p.code for p in self.problems]

    def to_rows(self) -> list[dict[str, Any]]:
        """Flat rows with fixed columns: the single source for every view."""
        return [{k: getattr(p, k) for k in ROW_COLUMNS} for p in self.problems]

    def to_dicts(self) -> list[dict[str, Any]]:
        return [p.to_dict() for p in self.problems]


class SafescoreError(Exception):
    """Raised only when work cannot continue; carries the problems that stopped it."""

    def __init__(self, problems: Problem | Iterable[Problem]):
        self.problems: list[Problem] = [problems] if isinstance(problems, Problem) else list(problems)
        first = self.problems[0] if self.problems else None
        super().__init__(first.message if first else "safescore error")


class RubricError(SafescoreError):
    """The rubric (or a file it names) is invalid: exit code 2."""


class InputReadError(SafescoreError):
    """An input or output could not be read or written: exit code 3."""
