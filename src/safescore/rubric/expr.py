"""The rubric expression language (SPEC 3.2), parsed without ``eval``.

Python's own parser (:func:`ast.parse`) reads the text; only a whitelist of
node types is accepted and compiled into a small tree of our own. Nothing is
ever executed by Python: evaluation walks that tree over whole columns
(:class:`~safescore.engine.decvec.DecVec` for numbers, :class:`BoolVec`,
:class:`StrVec`).

Allowed: names (fields, targets), numbers, strings, ``+ - * /``, comparisons,
``and or not``, and the calls ``min max abs round if_``. Each node keeps its
column offset so an error can point at it.

Dates (record-list columns, :class:`DateVec`) compare with each other and with a
date literal written as a string: ``found >= '2022-01-01'``.
"""

from __future__ import annotations

import ast
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Literal

import numpy as np

from safescore.engine.decvec import DecVec
from safescore.limits import is_sane

MAX_LENGTH = 2000
MAX_DEPTH = 400  # a flat sum nests one level per term; Python's own limit is ~1000 frames
FUNCTIONS = {"min": (2, None), "max": (2, None), "abs": (1, 1), "round": (1, 2), "if_": (3, 3)}

Kind = Literal["num", "bool", "str", "date"]


class ExprError(ValueError):
    """A syntax or type error with the 0-based column where it was found."""

    def __init__(self, message: str, col: int = 0, code: str = "expr-syntax"):
        super().__init__(message)
        self.col = col
        self.code = code


@dataclass(frozen=True)
class BoolVec:
    """A column of booleans with a missing mask (Kleene logic for and/or)."""

    v: np.ndarray
    na: np.ndarray


@dataclass(frozen=True)
class StrVec:
    v: np.ndarray  # object array of str
    na: np.ndarray


@dataclass(frozen=True)
class DateVec:
    """A column of dates as proleptic ordinals (``date.toordinal()``), with a missing mask."""

    v: np.ndarray  # int64
    na: np.ndarray

    @classmethod
    def from_dates(cls, values: list[dt.date | None]) -> DateVec:
        na = np.fromiter((d is None for d in values), dtype=bool, count=len(values))
        v = np.fromiter(
            (0 if d is None else d.toordinal() for d in values), dtype=np.int64, count=len(values)
        )
        return cls(v, na)


Vec = DecVec | BoolVec | StrVec | DateVec


def date_literal(text: str) -> dt.date | None:
    """``'2022-03-05'`` as a date (ISO form only, so a literal means one thing)."""
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        return None


# --- tree ----------------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    col: int


@dataclass(frozen=True)
class Num(Node):
    value: Decimal


@dataclass(frozen=True)
class Str(Node):
    value: str


@dataclass(frozen=True)
class BoolConst(Node):
    value: bool


@dataclass(frozen=True)
class Ref(Node):
    name: str


@dataclass(frozen=True)
class Unary(Node):
    op: str  # '-', '+', 'not'
    operand: Node


@dataclass(frozen=True)
class Bin(Node):
    op: str  # + - * /
    left: Node
    right: Node


@dataclass(frozen=True)
class Compare(Node):
    ops: tuple[str, ...]
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Logic(Node):
    op: str  # and / or
    values: tuple[Node, ...]


@dataclass(frozen=True)
class Call(Node):
    func: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Expr:
    """A parsed expression: its text, tree and the names it reads."""

    text: str
    root: Node
    names: frozenset[str] = field(default_factory=frozenset)


_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
_CMPOPS = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}


def parse(text: str) -> Expr:
    """Parse an expression; raise :class:`ExprError` with a column on anything not allowed."""
    if not isinstance(text, str):
        text = str(text)
    if len(text) > MAX_LENGTH:
        raise ExprError(f"表达式过长（超过 {MAX_LENGTH} 个字符）", 0, "expr-too-long")
    src = text.strip()
    lead = len(text) - len(text.lstrip())
    if not src:
        raise ExprError("表达式为空", 0)
    try:
        tree = ast.parse(src, mode="eval")
    except SyntaxError as exc:
        col = max((exc.offset or 1) - 1, 0) + lead
        hint = "；比较相等请用 ==" if "=" in src and "==" not in src else ""
        raise ExprError(f"表达式语法错误：{exc.msg}{hint}", col) from None
    except (RecursionError, MemoryError, ValueError):
        raise ExprError("表达式嵌套过深", 0, "expr-too-deep") from None
    names: set[str] = set()
    try:
        root = _convert(tree.body, src, names, 0, lead)
    except RecursionError:
        raise ExprError("表达式嵌套过深", 0, "expr-too-deep") from None
    return Expr(src, root, frozenset(names))


def _char_col(src: str, byte_col: int) -> int:
    return len(src.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))


def _convert(node: ast.AST, src: str, names: set[str], depth: int, lead: int = 0) -> Node:
    # ast gives UTF-8 byte offsets into the stripped text; users count characters
    col = _char_col(src, getattr(node, "col_offset", 0)) + lead
    if depth > MAX_DEPTH:
        raise ExprError("表达式嵌套过深", col, "expr-too-deep")
    d = depth + 1
    if isinstance(node, ast.Constant):
        v = node.value
        if isinstance(v, bool):
            return BoolConst(col, v)
        if isinstance(v, int | float):
            text = ast.get_source_segment(src, node) or repr(v)
            try:
                value = Decimal(text.replace("_", ""))
            except InvalidOperation:
                raise ExprError(f"无法识别的数字 {text}", col) from None
            if not is_sane(value):
                raise ExprError(f"数字 {text} 超出范围", col, "expr-number-range")
            return Num(col, value)
        if isinstance(v, str):
            return Str(col, v)
        raise ExprError(f"不支持的常量 {v!r}", col)
    if isinstance(node, ast.Name):
        names.add(node.id)
        return Ref(col, node.id)
    if isinstance(node, ast.UnaryOp):
        ops = {ast.USub: "-", ast.UAdd: "+", ast.Not: "not"}
        op = ops.get(type(node.op))
        if op is None:
            raise ExprError("不支持的运算符", col)
        return Unary(col, op, _convert(node.operand, src, names, d, lead))
    if isinstance(node, ast.BinOp):
        op = _BINOPS.get(type(node.op))
        if op is None:
            raise ExprError("只支持 + - * / 四则运算", col)
        return Bin(
            col, op, _convert(node.left, src, names, d, lead), _convert(node.right, src, names, d, lead)
        )
    if isinstance(node, ast.Compare):
        cops = []
        for o in node.ops:
            c = _CMPOPS.get(type(o))
            if c is None:
                raise ExprError("只支持比较运算 == != < <= > >=", col)
            cops.append(c)
        operands = (node.left, *node.comparators)
        return Compare(col, tuple(cops), tuple(_convert(x, src, names, d, lead) for x in operands))
    if isinstance(node, ast.BoolOp):
        op = "and" if isinstance(node.op, ast.And) else "or"
        return Logic(col, op, tuple(_convert(x, src, names, d, lead) for x in node.values))
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            raise ExprError("只允许调用 min max abs round if_", col, "expr-call")
        if node.keywords:
            raise ExprError("函数不接受关键字参数", col)
        fname = node.func.id
        lo, hi = FUNCTIONS[fname]
        n = len(node.args)
        if n < lo or (hi is not None and n > hi):
            raise ExprError(f"{fname} 的参数个数不对", col)
        return Call(col, fname, tuple(_convert(a, src, names, d, lead) for a in node.args))
    if isinstance(node, ast.Attribute):
        raise ExprError("不允许访问属性（.）", col, "expr-attribute")
    raise ExprError(f"不支持的表达式成分：{type(node).__name__}", col)


# --- type checking ------------------------------------------------------------------


def infer(node: Node, kind_of: Callable[[str], Kind | None]) -> Kind:
    """Static type of an expression; ``kind_of`` answers for names (None = unknown)."""
    if isinstance(node, Num):
        return "num"
    if isinstance(node, Str):
        return "str"
    if isinstance(node, BoolConst):
        return "bool"
    if isinstance(node, Ref):
        k = kind_of(node.name)
        if k is None:
            raise ExprError(f"未知的名称 {node.name}（不是字段或目标值）", node.col, "expr-unknown-name")
        return k
    if isinstance(node, Unary):
        k = infer(node.operand, kind_of)
        want: Kind = "bool" if node.op == "not" else "num"
        if k != want:
            raise ExprError(f"{node.op} 需要{_kname(want)}", node.col, "expr-type")
        return want
    if isinstance(node, Bin):
        for side in (node.left, node.right):
            if infer(side, kind_of) != "num":
                raise ExprError(f"运算 {node.op} 需要数值", side.col, "expr-type")
        return "num"
    if isinstance(node, Compare):
        kinds = [infer(x, kind_of) for x in node.operands]
        if "date" in kinds:
            for x, k in zip(node.operands, kinds, strict=True):
                if k == "str" and not (isinstance(x, Str) and date_literal(x.value)):
                    raise ExprError("日期只能与日期或 'YYYY-MM-DD' 形式的日期常量比较", x.col, "expr-type")
            kinds = ["date" if k == "str" else k for k in kinds]
        if len(set(kinds)) != 1:
            raise ExprError("比较的两边类型不同", node.col, "expr-type")
        if kinds[0] not in ("num", "date") and any(o not in ("==", "!=") for o in node.ops):
            raise ExprError("文本和是/否只能用 == 或 != 比较", node.col, "expr-type")
        return "bool"
    if isinstance(node, Logic):
        for v in node.values:
            if infer(v, kind_of) != "bool":
                raise ExprError(f"{node.op} 的两边需要条件（是/否）", v.col, "expr-type")
        return "bool"
    if isinstance(node, Call):
        kinds = [infer(a, kind_of) for a in node.args]
        if node.func == "if_":
            if kinds[0] != "bool":
                raise ExprError("if_ 的第一个参数需要条件", node.col, "expr-type")
            if kinds[1] != kinds[2]:
                raise ExprError("if_ 的两个分支类型不同", node.col, "expr-type")
            if kinds[1] == "date":
                raise ExprError("if_ 的分支不能是日期", node.col, "expr-type")
            return kinds[1]
        if any(k != "num" for k in kinds):
            raise ExprError(f"{node.func} 需要数值参数", node.col, "expr-type")
        if node.func == "round" and len(node.args) == 2 and not isinstance(node.args[1], Num):
            raise ExprError("round 的小数位数必须是常数", node.col, "expr-type")
        return "num"
    raise ExprError("无法识别的表达式", node.col)


def _kname(k: Kind) -> str:
    return {"num": "数值", "bool": "条件（是/否）", "str": "文本", "date": "日期"}[k]


# --- evaluation ---------------------------------------------------------------------


def evaluate(expr: Expr | Node, env: Mapping[str, Vec], n: int) -> Vec:
    """Evaluate over ``n`` units; ``env`` maps names to columns of length n."""
    node = expr.root if isinstance(expr, Expr) else expr
    return _eval(node, env, n)


def _no_na(n: int) -> np.ndarray:
    return np.zeros(n, dtype=bool)


def _eval(node: Node, env: Mapping[str, Vec], n: int) -> Vec:
    if isinstance(node, Num):
        return DecVec.const(node.value, n)
    if isinstance(node, Str):
        return StrVec(np.array([node.value] * n, dtype=object), _no_na(n))
    if isinstance(node, BoolConst):
        return BoolVec(np.full(n, node.value), _no_na(n))
    if isinstance(node, Ref):
        return env[node.name]
    if isinstance(node, Unary):
        x = _eval(node.operand, env, n)
        if node.op == "not":
            assert isinstance(x, BoolVec)
            return BoolVec(~x.v, x.na)
        assert isinstance(x, DecVec)
        return -x if node.op == "-" else x
    if isinstance(node, Bin):
        a, b = _eval(node.left, env, n), _eval(node.right, env, n)
        assert isinstance(a, DecVec) and isinstance(b, DecVec)
        return {"+": DecVec.__add__, "-": DecVec.__sub__, "*": DecVec.__mul__, "/": DecVec.__truediv__}[
            node.op
        ](a, b)
    if isinstance(node, Compare):
        vals = [_eval(x, env, n) for x in node.operands]
        out = np.ones(n, dtype=bool)
        na = _no_na(n)
        for op, a, b in zip(node.ops, vals, vals[1:], strict=False):
            out &= _compare(a, b, op)
            na |= a.na | b.na
        return BoolVec(out & ~na, na)
    if isinstance(node, Logic):
        vals = [_eval(v, env, n) for v in node.values]
        v0 = vals[0]
        assert isinstance(v0, BoolVec)
        acc, na = v0.v.copy(), v0.na.copy()
        for x in vals[1:]:
            assert isinstance(x, BoolVec)
            acc, na = _kleene(node.op, acc, na, x.v, x.na)
        return BoolVec(acc, na)
    if isinstance(node, Call):
        return _call(node, env, n)
    raise ExprError("无法计算的表达式", node.col)


_NP_CMP = {
    "==": np.equal,
    "!=": np.not_equal,
    "<": np.less,
    "<=": np.less_equal,
    ">": np.greater,
    ">=": np.greater_equal,
}


def _as_dates(x: Vec) -> DateVec:
    if isinstance(x, DateVec):
        return x
    assert isinstance(x, StrVec)  # a date literal, checked by infer()
    out = DateVec.from_dates([date_literal(str(s)) for s in x.v])
    return DateVec(out.v, out.na | x.na)


def _compare(a: Vec, b: Vec, op: str) -> np.ndarray:
    if isinstance(a, DecVec) and isinstance(b, DecVec):
        return a.cmp(b, op)
    if isinstance(a, DateVec) or isinstance(b, DateVec):
        da, db = _as_dates(a), _as_dates(b)
        return np.asarray(_NP_CMP[op](da.v, db.v), dtype=bool)
    eq = np.asarray(a.v == b.v, dtype=bool)
    return eq if op == "==" else ~eq


def _kleene(
    op: str, a: np.ndarray, an: np.ndarray, b: np.ndarray, bn: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    # a known True decides `or`; a known False decides `and`, whatever the other side is
    if op == "and":
        false_known = (~a & ~an) | (~b & ~bn)
        na = (an | bn) & ~false_known
        return a & b & ~na & ~false_known, na
    true_known = (a & ~an) | (b & ~bn)
    na = (an | bn) & ~true_known
    return true_known, na


def _call(node: Call, env: Mapping[str, Vec], n: int) -> Vec:
    args = [_eval(a, env, n) for a in node.args]
    if node.func == "if_":
        c, a, b = args
        assert isinstance(c, BoolVec)
        pick = c.v & ~c.na
        if isinstance(a, DecVec) and isinstance(b, DecVec):
            out = a.where(pick, b)
            return out.with_na(out.na | c.na)
        assert isinstance(a, BoolVec | StrVec) and isinstance(b, BoolVec | StrVec)
        v = np.where(pick, a.v, b.v)
        na = c.na | np.where(pick, a.na, b.na)
        return BoolVec(v.astype(bool), na) if isinstance(a, BoolVec) else StrVec(v, na)
    nums = [x for x in args if isinstance(x, DecVec)]
    if node.func == "abs":
        return abs(nums[0])
    if node.func == "round":
        places = int(nums[1].decimal_at(0) or 0) if len(nums) == 2 and n else 0
        return nums[0].round_half_up(places)
    acc = nums[0]
    for x in nums[1:]:
        acc = acc.minimum(x) if node.func == "min" else acc.maximum(x)
    return acc
