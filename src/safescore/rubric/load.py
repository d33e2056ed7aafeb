"""YAML rubric → :class:`Rubric`, every error with file, line and column.

ruamel.yaml's round-trip loader keeps line/column for every key and item
without constructing arbitrary Python objects (``!!python/...`` tags stay inert
tagged values); pydantic validates, and each validation error's ``loc`` is
walked back through the YAML tree to its line.

A rubric may come from anywhere, so nothing in it can make loading crash or
hang: the file size is capped, nesting is checked before the parser (whose
recursion is quadratic in depth) sees it, alias fan-out is capped while the tree
is converted (YAML billion laughs), and numbers too long for Python's int
conversion are refused with their line.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from safescore.problems import Problem, Report, RubricError
from safescore.rubric import model as m

MAX_RUBRIC_BYTES = 2_000_000
MAX_NODES = 200_000  # guards against alias bombs expanding into huge trees
MAX_DEPTH = 64  # nesting of flow brackets or block indicators; real rubrics use under 10
MAX_DIGITS = 4000  # below Python's int-from-text limit (4300 digits)
_LONG_NUMBER = re.compile(rf"[0-9]{{{MAX_DIGITS},}}")
# pydantic's names for union members and wrapped validators in an error's loc (not YAML keys)
_PYDANTIC_TAG = re.compile(
    r"^(function-(before|after|wrap|plain)\[|(dict|list|tuple|set|frozenset|literal|nullable|union|"
    r"tagged-union|is-instance|json-or-python|lax-or-strict|chain|constrained-\w+)\[)"
)


class Positions:
    """Maps a pydantic ``loc`` path to a (line, column) in the YAML file, 1-based."""

    def __init__(self, root: Any, text: str = ""):
        self.root = root
        self.lines = text.splitlines()

    def find_in_value(self, loc: Sequence[Any], offset: int) -> tuple[int | None, int | None]:
        """The position of character ``offset`` inside the one-line scalar at ``loc`` (an
        expression), so an error points at the offending ``.`` or ``**``; else :meth:`find`."""
        node = self.root
        for key in loc[:-1]:
            if isinstance(node, CommentedMap) and key in node:
                node = node[key]
            elif isinstance(node, CommentedSeq) and isinstance(key, int) and 0 <= key < len(node):
                node = node[key]
            else:
                return self.find(loc)
        last = loc[-1] if loc else None
        try:
            if not isinstance(node, CommentedMap) or not isinstance(node.get(last), str):
                return self.find(loc)
            line, col = node.lc.value(last)
            text = node[last]
            src = self.lines[line]
        except (KeyError, TypeError, AttributeError, IndexError):
            return self.find(loc)
        quoted = src[col : col + 1] in ("'", '"')
        body = src[col + quoted :]
        # only when the scalar is written on its line as it reads (no escapes, folding or block style)
        if "\n" in text or not body.startswith(text):
            return self.find(loc)
        return line + 1, col + quoted + offset + 1

    def find(self, loc: Sequence[Any]) -> tuple[int | None, int | None]:
        node = self.root
        best: tuple[int | None, int | None] = (1, 1)
        for key in loc:
            if isinstance(node, CommentedMap):
                if key not in node:
                    continue  # discriminator tags and model names are not YAML keys
                try:
                    line, col = node.lc.key(key)
                    best = (line + 1, col + 1)
                except (KeyError, TypeError, AttributeError):
                    pass
                node = node[key]
            elif isinstance(node, CommentedSeq) and isinstance(key, int) and 0 <= key < len(node):
                try:
                    line, col = node.lc.item(key)
                    best = (line + 1, col + 1)
                except (KeyError, TypeError, AttributeError):
                    pass
                node = node[key]
        return best


def _plain(node: Any, budget: list[int]) -> Any:
    """Convert ruamel's containers to plain Python values (floats kept exact later)."""
    budget[0] -= 1
    if budget[0] < 0:
        raise RubricError(
            Problem("rubric-too-large", "规则文件展开后过大（可能含有别名炸弹）", category="rubric")
        )
    if isinstance(node, dict):
        return {str(k) if not isinstance(k, str | int) else k: _plain(v, budget) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v, budget) for v in node]
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, float):
        return float(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, str):
        return str(node)
    return node


def _fields_of(model_cls: type[BaseModel]) -> list[str]:
    out = []
    for name, f in model_cls.model_fields.items():
        out.append(f.alias or name)
    return out


def _model_at(loc: Sequence[Any]) -> type[BaseModel]:
    """The model that holds the last key of ``loc`` (for "did you mean" hints)."""
    path = [k for k in loc if isinstance(k, str)]
    containers = path[:-1]
    table: dict[str, type[BaseModel]] = {
        "groups": m.Group,
        "units": m.Unit,
        "sections": m.Section,
        "items": m.Item,
        "veto": m.Veto,
        "grades": m.Grade,
        "fields": m.FieldDef,
        "targets": m.Target,
        "bonus": m.Adjustments,
        "penalty": m.Adjustments,
        "annual": m.Annual,
        "callout": m.Callout,
        "bands": m.Band,
        "self_check": m.SelfCheck,
    }
    rules = {
        "check": m.CheckRule,
        "deduct": m.DeductRule,
        "rate": m.RateRule,
        "target": m.TargetRule,
        "bands": m.BandsRule,
        "linear": m.LinearRule,
        "relative": m.RelativeRule,
        "rank": m.RankRule,
        "score": m.ScoreRule,
        "formula": m.FormulaRule,
        "per": m.PerRule,
    }
    # pydantic puts the rule kind (the union tag) right after 'rule'
    if len(containers) >= 2 and containers[-2] == "rule" and containers[-1] in rules:
        return rules[containers[-1]]
    for i in range(len(containers) - 1, -1, -1):
        k = containers[i]
        if k in ("fields", "targets") and i == len(containers) - 2:
            continue  # 'fields.<id>' : the id is a dict key, the model is one level up
        if k in table:
            return table[k]
    return m.Rubric


_TYPE_TEXT = {
    "missing": "缺少必填项",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "decimal_parsing": "应为数字",
    "decimal_type": "应为数字",
    "string_type": "应为文本",
    "list_type": "应为列表（- 开头的若干项）",
    "dict_type": "应为映射（键: 值）",
    "model_type": "应为映射（键: 值）",
    "bool_type": "应为 true/false",
    "too_short": "至少需要一项",
    "greater_than_equal": "数值过小",
    "less_than_equal": "数值过大",
}


def _message(err: dict[str, Any]) -> tuple[str, str, str | None]:
    """(code, Chinese message, expected) for one pydantic error."""
    typ = err["type"]
    loc = _clean_loc(err["loc"])
    key = next((k for k in reversed(loc) if isinstance(k, str)), "")
    dotted = ".".join(str(k) for k in loc)
    if typ == "extra_forbidden":
        model_cls = _model_at(loc)
        allowed = _fields_of(model_cls)
        close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.5)
        hint = f"，是不是 {close[0]}？" if close else ""
        return "rubric-unknown-key", f"未知的键 {key}{hint}", "可用的键：" + "、".join(allowed)
    if typ == "union_tag_invalid":
        tag = err.get("ctx", {}).get("tag", "")
        close = difflib.get_close_matches(str(tag), m.RULE_KINDS, n=1, cutoff=0.5)
        hint = f"，是不是 {close[0]}？" if close else ""
        return (
            "rubric-unknown-rule",
            f"未知的规则类型 kind: {tag}{hint}",
            "kind 可用：" + "、".join(m.RULE_KINDS),
        )
    if typ == "union_tag_not_found":
        return "rubric-missing-key", f"{dotted}：规则缺少 kind", "kind 可用：" + "、".join(m.RULE_KINDS)
    if typ == "missing":
        return "rubric-missing-key", f"缺少必填项 {key}", f"需要 {key}"
    if typ == "literal_error":
        exp = err.get("ctx", {}).get("expected", "")
        return "rubric-bad-value", f"{key} 的值 {err.get('input')!r} 不可用", f"可用：{exp}"
    if typ == "string_pattern_mismatch":
        pat = err.get("ctx", {}).get("pattern", "")
        return (
            "rubric-bad-value",
            f"{key} 的值 {err.get('input')!r} 格式不对",
            f"需匹配 {pat}（字母、数字、下划线）",
        )
    text = _TYPE_TEXT.get(typ)
    if text:
        return "rubric-bad-value", f"{key}：{text}（得到 {err.get('input')!r}）", text
    msg = str(err.get("msg", "")).removeprefix("Value error, ")
    return "rubric-invalid", f"{dotted}：{msg}" if dotted else msg, None


def _clean_loc(loc: Sequence[Any]) -> tuple[Any, ...]:
    """``loc`` without pydantic's union-member names, so it reads as the YAML path."""
    return tuple(k for k in loc if not (isinstance(k, str) and _PYDANTIC_TAG.match(k)))


def _dedupe_union_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # a value that fits none of a union's members yields one error per member:
    # keep one per YAML position, preferring a validator's own message ("数值 inf
    # 超出范围") to a member's type error ("应为映射")
    by_loc: dict[tuple[Any, ...], dict[str, Any]] = {}
    for e in errors:
        loc = _clean_loc(e["loc"])
        kept = by_loc.get(loc)
        if kept is None or (e["type"] == "value_error" and kept["type"] != "value_error"):
            by_loc[loc] = e
    return list(by_loc.values())


def _too_deep(text: str) -> int | None:
    """Line (1-based) where nesting first goes beyond MAX_DEPTH, or None.

    Counts flow brackets (outside quotes and comments; at the top level only
    where a flow collection can start), leading indentation (a generous bound)
    and leading ``- ``/``? `` indicators, so a few kilobytes of ``[[[[`` or
    ``- - - -`` never reach the recursive parser.
    """
    depth = 0
    for lineno, line in enumerate(text.splitlines(), start=1):
        stripped = line.lstrip(" ")
        indent = len(line) - len(stripped)
        lead = _INDICATORS.match(stripped)
        if depth == 0 and (
            indent > 2 * MAX_DEPTH or len(lead.group(0).split()) > MAX_DEPTH if lead else False
        ):
            return lineno
        quote, prev, i = "", " ", 0
        while i < len(line):
            ch = line[i]
            if quote:
                if ch == "\\" and quote == '"':
                    i += 1
                elif ch == quote:
                    quote = ""
            elif ch in "\"'" and prev in " \t[{,:-?":
                quote = ch
            elif ch == "#" and prev in " \t":
                break
            elif ch in "[{" and (depth > 0 or (prev in " \t:-?,[{" and _starts_value(line, i))):
                depth += 1
                if depth > MAX_DEPTH:
                    return lineno
            elif ch in "]}" and depth > 0:
                depth -= 1
            if ch not in " \t":
                prev = ch
            i += 1
    return None


_INDICATORS = re.compile(r"(?:[-?:](?: +|$))+")


def _starts_value(line: str, i: int) -> bool:
    # At the top level a bracket opens a flow collection only as the first thing of a value.
    before = line[:i].rstrip(" \t")
    return not before or before[-1] in ":-?,[{"


def read_yaml(path: Path, report: Report) -> tuple[Any, Positions] | None:
    """Read YAML safely; syntax errors become problems with line and column."""
    fname = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        report.add(
            Problem(
                "rubric-unreadable", f"无法读取规则文件：{exc.strerror or exc}", category="rubric", file=fname
            )
        )
        return None
    if len(raw) > MAX_RUBRIC_BYTES:
        report.add(Problem("rubric-too-large", "规则文件过大", category="rubric", file=fname))
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        report.add(
            Problem(
                "rubric-encoding", "规则文件不是 UTF-8 编码", category="rubric", file=fname, expected="UTF-8"
            )
        )
        return None
    deep = _too_deep(text)
    if deep is not None:
        report.add(
            Problem(
                "rubric-too-deep",
                f"规则文件嵌套超过 {MAX_DEPTH} 层，拒绝解析",
                category="rubric",
                file=fname,
                line=deep,
                expected=f"嵌套不超过 {MAX_DEPTH} 层",
            )
        )
        return None
    long_number = _LONG_NUMBER.search(text)
    if long_number:
        report.add(
            Problem(
                "rubric-bad-value",
                f"数字过长（{len(long_number.group(0))} 位）",
                category="rubric",
                file=fname,
                line=text.count("\n", 0, long_number.start()) + 1,
                expected=f"不超过 {MAX_DIGITS} 位的数字",
            )
        )
        return None
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        data = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        col = mark.column + 1 if mark else None
        msg = str(exc.problem or exc.context or "YAML 语法错误")
        if "duplicate key" in msg:
            code, text_msg = "rubric-duplicate-key", f"键重复：{msg}"
        elif "\\t" in msg or "\t" in msg:
            code, text_msg = "rubric-yaml-syntax", "YAML 不允许用 Tab 缩进，请改用空格"
        else:
            code, text_msg = "rubric-yaml-syntax", f"YAML 语法错误：{msg}"
        report.add(Problem(code, text_msg, category="rubric", file=fname, line=line, column=col))
        return None
    except YAMLError as exc:
        report.add(Problem("rubric-yaml-syntax", f"YAML 语法错误：{exc}", category="rubric", file=fname))
        return None
    except (RecursionError, ValueError, OverflowError, TypeError) as exc:
        # the checks above keep these out; a backstop so no YAML ever crashes the loader
        detail = f"{type(exc).__name__}: {exc}"[:200]
        report.add(Problem("rubric-yaml-syntax", f"YAML 无法解析：{detail}", category="rubric", file=fname))
        return None
    if not isinstance(data, dict):
        report.add(
            Problem(
                "rubric-not-mapping",
                "规则文件顶层应为映射（rubric: …, sections: …）",
                category="rubric",
                file=fname,
                line=1,
            )
        )
        return None
    return data, Positions(data, text)


def parse_rubric(path: Path, report: Report) -> tuple[m.Rubric, Positions] | None:
    """Load and validate; add problems to ``report``; None if it does not validate."""
    path = Path(path)
    got = read_yaml(path, report)
    if got is None:
        return None
    data, positions = got
    fname = str(path)
    try:
        plain = _plain(data, [MAX_NODES])
    except RubricError as exc:
        for p in exc.problems:
            report.add(Problem(p.code, p.message, category="rubric", file=fname))
        return None
    except RecursionError:  # a self-referencing alias (&a [*a])
        report.add(
            Problem("rubric-too-deep", "规则文件含有自引用的别名，无法展开", category="rubric", file=fname)
        )
        return None
    try:
        rubric = m.Rubric.model_validate(plain)
    except ValidationError as exc:
        for err in _dedupe_union_errors(exc.errors()):
            code, msg, expected = _message(err)
            line, col = positions.find(err["loc"])
            report.add(
                Problem(code, msg, category="rubric", file=fname, line=line, column=col, expected=expected)
            )
        return None
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    rubric = rubric.model_copy(update={"path": str(path.resolve()), "sha256": digest})
    return rubric, positions


def load_rubric(path: str | Path) -> m.Rubric:
    """Load a rubric file; raise :class:`RubricError` listing every problem.

    Semantic checks (sums, names, expressions) run too; warnings do not raise.

    >>> rubric = load_rubric("rubrics/gangcheng-sanze.yaml")  # doctest: +SKIP
    """
    from safescore.rubric.check import check_rubric

    report = Report()
    rubric = check_rubric(Path(path), report)
    if rubric is None or not report.ok:
        raise RubricError(report.errors)
    return rubric
