"""``.safescore/state.json``: which periods a project has published, and its 文号 counter."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from safescore.project.config import ProjectConfig, ProjectError


class ProjectState:
    """``<project>/.safescore/state.json``: the 文号 counters and what each period's outputs hold.

    Written atomically and only after the outputs it describes are in place, so it never claims
    more than exists; it is what makes the next run idempotent and the 文号 never reused.
    """

    FORMAT = "safescore.state/1"

    def __init__(self, data: dict[str, Any] | None = None):
        self.data: dict[str, Any] = data or {"format": self.FORMAT, "seq": {}, "periods": {}}

    @classmethod
    def load(cls, path: Path) -> ProjectState:
        """The saved state, or an empty one; ValueError if the file is not a state file."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            return cls()
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("format") != cls.FORMAT:
            raise ValueError("不是 safescore 的运行状态文件")
        data.setdefault("seq", {})
        data.setdefault("periods", {})
        return cls(data)

    def save(self, path: Path) -> None:
        from safescore.render.files import json_bytes, write_atomic

        write_atomic(Path(path), json_bytes(self.data))

    @classmethod
    def load_for(cls, state_dir: Path) -> ProjectState:
        """The project's state; :class:`ProjectError` (exit 3) if it cannot be read."""
        path = Path(state_dir) / "state.json"
        try:
            return cls.load(path)
        except (OSError, ValueError) as exc:
            raise ProjectError(f"无法读取运行状态 {path}：{exc}；如已损坏，移走它后重新运行", 3) from None

    def save_for(self, state_dir: Path) -> None:
        """Save into the project; :class:`ProjectError` (exit 3) if it cannot be written."""
        try:
            self.save(Path(state_dir) / "state.json")
        except OSError as exc:
            raise ProjectError(
                f"输出已写出，但无法保存运行状态 {state_dir}：{exc.strerror or exc}", 3
            ) from None

    def next_doc_number(self, cfg: ProjectConfig, period: str) -> tuple[str, str | None, int]:
        """(文号, year, seq) for a run about to publish; the counter is saved by the caller
        only once the outputs carrying it are in place."""
        if not cfg.issuer.doc_number:
            return "", None, 0
        from safescore.render.bulletin import issue_date

        year = issue_date().year  # the year of issue, as 〔2022〕 in 钢安办〔2022〕12号
        seq = self.seq(str(year)) + 1
        return cfg.doc_number(year=year, period=period, seq=seq), str(year), seq

    def seq(self, year: str) -> int:
        """The last 文号 sequence number used in ``year`` (0 if none)."""
        return int(self.data["seq"].get(year, 0))

    def set_seq(self, year: str, value: int) -> None:
        self.data["seq"][year] = value

    def period(self, period: str) -> dict[str, Any] | None:
        got = self.data["periods"].get(period)
        return got if isinstance(got, dict) else None

    def mark_done(self, period: str, *, fingerprint: str, exit_code: int, doc_number: str) -> None:
        self.data["periods"][period] = {
            "fingerprint": fingerprint,
            "exit_code": exit_code,
            "doc_number": doc_number,
            "finished": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        }
