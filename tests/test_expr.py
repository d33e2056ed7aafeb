"""The rubric expression language (SPEC 3.2): what it accepts, what it refuses, how it evaluates."""

from __future__ import annotations

from decimal import Decimal as D

import numpy as np
import pytest

from safescore.engine.decvec import DecVec
from safescore.rubric.expr import (
    MAX_LENGTH,
    BoolVec,
    Call,
    Compare,
    ExprError,
    Kind,
    Logic,
    Num,
    StrVec,
    Vec,
    evaluate,
    infer,
    parse,
)

# ----------------------------------------------------------------- helpers

KINDS: dict[str, Kind] = {
    "a": "num",
    "b": "num",
    "c": "num",
    "n": "num",
    "flag": "bool",
    "other": "bool",
    "status": "str",
}


def kind_of(name: str) -> Kind | None:
    return KINDS.get(name)


def nums(*values: object) -> DecVec:
    return DecVec.from_decimals([None if v is None else D(str(v)) for v in values])


def bools(*values: bool | None) -> BoolVec:
    na = np.array([v is None for v in values], dtype=bool)
    return BoolVec(np.array([bool(v) for v in values], dtype=bool), na)


def strs(*values: str | None) -> StrVec:
    na = np.array([v is None for v in values], dtype=bool)
    return StrVec(np.array(["" if v is None else v for v in values], dtype=object), na)


def ev(text: str, n: int | None = None, **env: Vec) -> Vec:
    e = parse(text)
    infer(e.root, lambda name: _kind(env[name]) if name in env else None)
    if n is None:
        n = len(next(iter(env.values())).na) if env else 1
    return evaluate(e, env, n)


def _kind(v: Vec) -> Kind:
    return "num" if isinstance(v, DecVec) else "bool" if isinstance(v, BoolVec) else "str"


def num_list(v: Vec) -> list[D | None]:
    assert isinstance(v, DecVec)
    return v.to_decimals()


def bool_list(v: Vec) -> list[bool | None]:
    assert isinstance(v, BoolVec)
    return [None if na else bool(x) for x, na in zip(v.v, v.na, strict=True)]


def refused(text: str) -> ExprError:
    with pytest.raises(ExprError) as exc:
        parse(text)
    return exc.value


def type_error(text: str) -> ExprError:
    e = parse(text)
    with pytest.raises(ExprError) as exc:
        infer(e.root, kind_of)
    return exc.value


# ----------------------------------------------------------------- accepted language


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("a", "num"),
        ("a + b - c * 2 / 3", "num"),
        ("-(a - b)", "num"),
        ("+a", "num"),
        ("0.75", "num"),
        ("1_000", "num"),
        ("1e-3 * a", "num"),
        ("a > 0", "bool"),
        ("0 <= a < b", "bool"),
        ("a == b", "bool"),
        ("a != 1", "bool"),
        ("a >= 1 and b <= 2 or not flag", "bool"),
        ("flag and other", "bool"),
        ("flag == True", "bool"),
        ("flag != False", "bool"),
        ("status == '已整改'", "bool"),
        ('status != "未整改"', "bool"),
        ("min(a, b)", "num"),
        ("max(a, b, c, 1)", "num"),
        ("abs(a - b)", "num"),
        ("round(a)", "num"),
        ("round(a / b, 2)", "num"),
        ("if_(a > b, a, b)", "num"),
        ("if_(flag, status, 'x')", "str"),
        ("if_(flag, other, a > 1)", "bool"),
        ("(a + b) * (c - 1)", "num"),
    ],
)
def test_accepts_the_language(text: str, kind: Kind) -> None:
    e = parse(text)
    assert infer(e.root, kind_of) == kind


def test_names_are_the_fields_read_not_the_functions() -> None:
    e = parse("if_(flag, min(a, b), round(abs(c), 1)) + n")
    assert e.names == frozenset({"flag", "a", "b", "c", "n"})


def test_numbers_are_read_from_their_text_exactly() -> None:
    e = parse("0.1")
    assert isinstance(e.root, Num)
    assert e.root.value == D("0.1")
    assert str(e.root.value) == "0.1"  # not 0.1000000000000000055511151231257827
    assert parse("1_000").root == Num(0, D(1000))
    assert parse("12.50").root.value == D("12.50")


def test_tree_shapes() -> None:
    e = parse("0 <= a < b")
    assert isinstance(e.root, Compare)
    assert e.root.ops == ("<=", "<")
    e = parse("flag and other and a > 1")
    assert isinstance(e.root, Logic) and len(e.root.values) == 3
    e = parse("max(a, b, c)")
    assert isinstance(e.root, Call) and e.root.func == "max" and len(e.root.args) == 3


# ----------------------------------------------------------------- refused, with code and column


@pytest.mark.parametrize(
    ("text", "code", "col"),
    [
        ("a.b", "expr-attribute", 0),
        ("x + a.b", "expr-attribute", 4),
        ("a.__class__", "expr-attribute", 0),
        ("__import__('os')", "expr-call", 0),
        ("open(x)", "expr-call", 0),
        ("1 + open(x)", "expr-call", 4),
        ("eval('1')", "expr-call", 0),
        ("getattr(a, 'b')", "expr-call", 0),
        ("sum(a)", "expr-call", 0),
        ("a.b(1)", "expr-call", 0),
        ("sum(x for x in y)", "expr-call", 0),
        ("(lambda: 1)()", "expr-call", 0),
        ("lambda: 1", "expr-syntax", 0),
        ("a + (lambda: 1)", "expr-syntax", 5),
        ("x[0]", "expr-syntax", 0),
        ("a + x[0]", "expr-syntax", 4),
        ("[x for x in y]", "expr-syntax", 0),
        ("{x for x in y}", "expr-syntax", 0),
        ("{x: 1 for x in y}", "expr-syntax", 0),
        ("(x := 1)", "expr-syntax", 1),
        ("a if flag else b", "expr-syntax", 0),
        ("a ** 2", "expr-syntax", 0),
        ("a // 2", "expr-syntax", 0),
        ("a % 2", "expr-syntax", 0),
        ("a is b", "expr-syntax", 0),
        ("a in b", "expr-syntax", 0),
        ("~a", "expr-syntax", 0),
        ("None", "expr-syntax", 0),
        ("1j", "expr-syntax", 0),
        ("...", "expr-syntax", 0),
        ("b'x'", "expr-syntax", 0),
        ("f'{a}'", "expr-syntax", 0),
        ("0x10", "expr-syntax", 0),
        ("min(a)", "expr-syntax", 0),
        ("abs(a, b)", "expr-syntax", 0),
        ("if_(flag, a)", "expr-syntax", 0),
        ("round(a, ndigits=2)", "expr-syntax", 0),
    ],
)
def test_refused_with_code_and_column(text: str, code: str, col: int) -> None:
    err = refused(text)
    assert (err.code, err.col) == (code, col)


@pytest.mark.parametrize(
    ("text", "col"),
    [
        ("x = 1", 2),
        ("a + b = 3", 6),
        ("count = 0 and flag", 6),
    ],
)
def test_single_equals_is_a_syntax_error_pointing_at_it(text: str, col: int) -> None:
    err = refused(text)
    assert err.code == "expr-syntax"
    assert err.col == col
    assert text[err.col] == "="


def test_other_syntax_errors() -> None:
    assert refused("a +").code == "expr-syntax"
    assert refused("(a").code == "expr-syntax"
    assert refused("").code == "expr-syntax"
    assert refused("   ").code == "expr-syntax"
    assert refused("a; import os").code == "expr-syntax"
    assert refused("import os").code == "expr-syntax"


def test_too_long() -> None:
    assert refused("a" * (MAX_LENGTH + 1)).code == "expr-too-long"
    assert refused("a + " * (MAX_LENGTH // 4) + "a").code == "expr-too-long"
    # exactly at the limit is fine
    assert parse("a" * MAX_LENGTH).names == frozenset({"a" * MAX_LENGTH})


def test_long_flat_sum_is_not_too_deep() -> None:
    # left-nested BinOps: one level per term, yet the user wrote no nesting at all
    text = " + ".join(f"f{i}" for i in range(200))
    assert len(text) < MAX_LENGTH
    e = parse(text)
    assert len(e.names) == 200
    env = {f"f{i}": nums(i) for i in range(200)}
    assert infer(e.root, lambda name: "num") == "num"
    assert num_list(evaluate(e, env, 1)) == [D(199 * 200 // 2)]


@pytest.mark.parametrize(
    "text",
    ["-" * 1000 + "1", "not " * 450 + "flag", "(" * 300 + "a" + ")" * 300, "abs(" * 420 + "a" + ")" * 420],
)
def test_too_deep_is_refused_not_a_crash(text: str) -> None:
    err = refused(text)
    assert err.code in ("expr-too-deep", "expr-syntax", "expr-too-long")


@pytest.mark.parametrize("text", ["-" * 350 + "a", "not " * 350 + "flag", "abs(" * 150 + "a" + ")" * 150])
def test_what_parses_also_type_checks_and_evaluates(text: str) -> None:
    # anything parse() accepts must not blow the recursion limit later
    env: dict[str, Vec] = {"a": nums(-2), "flag": bools(True)}
    out = ev(text, **env)
    assert isinstance(out, DecVec | BoolVec)


def test_error_is_a_value_error_with_code() -> None:
    err = refused("a.b")
    assert isinstance(err, ValueError)
    assert str(err)  # a message for people (its text is not pinned)


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("status == '已整改' and a.b", "a.b"),
        ("if_(status == '是', open(x), 0)", "open"),
    ],
)
def test_column_counts_characters_after_chinese_text(text: str, where: str) -> None:
    err = refused(text)
    assert err.code in ("expr-attribute", "expr-call")
    assert err.col == text.index(where)  # not the UTF-8 byte offset (+2 per CJK character)


@pytest.mark.parametrize(("text", "where"), [("  a.b", "a.b"), ("  x = 1", "="), ("\t open(x)", "open")])
def test_column_counts_leading_blanks(text: str, where: str) -> None:
    err = refused(text)
    assert err.col == text.index(where)


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("status == '已整改' and n + flag > 1", "flag"),
        ("status == '已整改' and nope > 1", "nope"),
        ("  n + flag", "flag"),
    ],
)
def test_type_error_column_counts_characters(text: str, where: str) -> None:
    e = parse(text)
    with pytest.raises(ExprError) as exc:
        infer(e.root, kind_of)
    assert exc.value.col == text.index(where)


# ----------------------------------------------------------------- type errors


@pytest.mark.parametrize(
    ("text", "col"),
    [
        ("n + flag", 4),
        ("flag + n", 0),
        ("n * (a > 1)", 5),
        ("-flag", 0),
        ("not n", 0),
        ("n and flag", 0),
        ("flag or n", 8),
        ("n == status", 0),
        ("status < 'x'", 0),
        ("flag > other", 0),
        ("if_(n, 1, 2)", 0),
        ("if_(flag, 1, status)", 0),
        ("min(n, flag)", 0),
        ("abs(status)", 0),
        ("round(a, n)", 0),
    ],
)
def test_type_errors(text: str, col: int) -> None:
    err = type_error(text)
    assert (err.code, err.col) == ("expr-type", col)


def test_unknown_name_points_at_it() -> None:
    err = type_error("a + nope")
    assert (err.code, err.col) == ("expr-unknown-name", 4)


# ----------------------------------------------------------------- evaluation


def test_decimal_arithmetic_has_no_float_drift() -> None:
    out = ev("a + b", a=nums("0.1"), b=nums("0.2"))
    assert num_list(out) == [D("0.3")]
    assert bool_list(ev("a + b == 0.3", a=nums("0.1"), b=nums("0.2"))) == [True]
    assert num_list(ev("(a + b - 0.3) * 1000000000000000", a=nums("0.1"), b=nums("0.2"))) == [D(0)]
    assert num_list(ev("a * 3", a=nums("1.1"))) == [D("3.3")]


def test_division() -> None:
    assert num_list(ev("a / b", a=nums(10, -7, "0.3"), b=nums(4, 2, "0.06"))) == [D("2.5"), D("-3.5"), D(5)]


def test_division_is_exact() -> None:
    # 1/3 * 3 is exactly 1 and 23/24 * 3 = 2.875 rounds half-up to 2.88
    a, b = nums(1, 23, 2), nums(3, 24, 3)
    assert bool_list(ev("a / b * b == a", a=a, b=b)) == [True, True, True]
    assert num_list(ev("round(a / b * 3, 2)", a=a, b=b)) == [D("1.00"), D("2.88"), D("2.00")]
    assert bool_list(ev("a / b > 0.3333333333333333333333333333", a=nums(1), b=nums(3))) == [True]


def test_division_by_zero_gives_no_value() -> None:
    out = ev("a / b", a=nums(1, 0, 5), b=nums(0, 0, 5))
    assert num_list(out) == [None, None, D(1)]


def test_missing_propagates_through_arithmetic_and_comparison() -> None:
    a, b = nums(1, None, 3), nums(2, 2, None)
    assert num_list(ev("a + b", a=a, b=b)) == [D(3), None, None]
    assert num_list(ev("min(a, b)", a=a, b=b)) == [D(1), None, None]
    assert bool_list(ev("a < b", a=a, b=b)) == [True, None, None]


KLEENE = [True, False, None]


@pytest.mark.parametrize("x", KLEENE)
@pytest.mark.parametrize("y", KLEENE)
def test_kleene_and_or(x: bool | None, y: bool | None) -> None:
    env = {"flag": bools(x), "other": bools(y)}
    if x is False or y is False:
        want_and: bool | None = False
    elif x is None or y is None:
        want_and = None
    else:
        want_and = True
    if x is True or y is True:
        want_or: bool | None = True
    elif x is None or y is None:
        want_or = None
    else:
        want_or = False
    assert bool_list(ev("flag and other", **env)) == [want_and]
    assert bool_list(ev("flag or other", **env)) == [want_or]


def test_not_of_missing_stays_missing() -> None:
    assert bool_list(ev("not flag", flag=bools(True, False, None))) == [False, True, None]


def test_kleene_over_three_operands_and_with_comparisons() -> None:
    a = nums(None, None, 5, None)
    flag = bools(False, True, None, None)
    # a missing comparison is decided by a known False (and) / True (or)
    assert bool_list(ev("a > 1 and flag", a=a, flag=flag)) == [False, None, None, None]
    assert bool_list(ev("a > 1 or flag", a=a, flag=flag)) == [None, True, True, None]
    assert bool_list(ev("flag or a > 1 or a < 0", a=a, flag=flag)) == [None, True, True, None]


def test_if_unchosen_branch_division_by_zero_still_gives_a_value() -> None:
    a, b = nums(1, 2, 3), nums(0, 4, 0)
    out = ev("if_(b == 0, 0, a / b)", a=a, b=b)
    assert num_list(out) == [D(0), D("0.5"), D(0)]
    # the chosen branch's "no value" is kept
    out = ev("if_(b == 0, a / b, 1)", a=a, b=b)
    assert num_list(out) == [None, D(1), None]


def test_if_with_missing_condition_has_no_value() -> None:
    out = ev("if_(flag, a, b)", flag=bools(True, None, False), a=nums(1, 1, 1), b=nums(2, 2, 2))
    assert num_list(out) == [D(1), None, D(2)]


def test_if_over_text_and_conditions() -> None:
    out = ev("if_(flag, status, 'x')", flag=bools(True, False, None), status=strs("甲", "乙", "丙"))
    assert isinstance(out, StrVec)
    assert list(out.v[:2]) == ["甲", "x"]
    assert list(out.na) == [False, False, True]
    out = ev("if_(flag, other, a > 1)", flag=bools(True, False), other=bools(False, True), a=nums(5, 0))
    assert bool_list(out) == [False, False]


def test_string_equality() -> None:
    status = strs("已整改", "未整改", None, "已整改 ")
    assert bool_list(ev("status == '已整改'", status=status)) == [True, False, None, False]
    assert bool_list(ev("status != '已整改'", status=status)) == [False, True, None, True]
    assert bool_list(ev("'已整改' == status", status=status)) == [True, False, None, False]


def test_bool_equality() -> None:
    assert bool_list(ev("flag == True", flag=bools(True, False, None))) == [True, False, None]


def test_chained_comparison() -> None:
    assert bool_list(ev("1 < a <= 3", a=nums(1, 2, 3, 4))) == [False, True, True, False]


def test_comparison_of_different_exponents() -> None:
    assert bool_list(ev("a == b", a=nums("1.50", "2"), b=nums("1.5", "2.000001"))) == [True, False]
    assert bool_list(ev("a > b", a=nums("0.3"), b=nums("0.29999999999999999999"))) == [True]


def test_min_max_abs() -> None:
    a, b, c = nums(1, -5, "2.5"), nums(3, -2, "2.50"), nums(2, -9, 0)
    assert num_list(ev("min(a, b, c)", a=a, b=b, c=c)) == [D(1), D(-9), D(0)]
    assert num_list(ev("max(a, b, c)", a=a, b=b, c=c)) == [D(3), D(-2), D("2.5")]
    assert num_list(ev("abs(a - b)", a=a, b=b)) == [D(2), D(3), D(0)]
    assert num_list(ev("-a", a=a)) == [D(-1), D(5), D("-2.5")]


@pytest.mark.parametrize(
    ("value", "places", "want"),
    [
        ("2.675", 2, "2.68"),  # float round(2.675, 2) gives 2.67
        ("1.005", 2, "1.01"),  # float round(1.005, 2) gives 1.0
        ("87.125", 2, "87.13"),
        ("0.125", 2, "0.13"),  # banker's rounding would give 0.12
        ("2.5", 0, "3"),
        ("3.5", 0, "4"),
        ("-2.5", 0, "-3"),  # halves away from zero
        ("-0.125", 2, "-0.13"),
        ("0.05", 1, "0.1"),
        ("0.0449", 2, "0.04"),
        ("7", 2, "7.00"),
    ],
)
def test_round_is_half_up(value: str, places: int, want: str) -> None:
    text = f"round(a, {places})" if places else "round(a)"
    out = num_list(ev(text, a=nums(value)))
    assert out == [D(want)]
    assert str(out[0]) == want


def test_round_after_division() -> None:
    # 1/8 = 0.125 exactly; half-up gives 0.13
    assert num_list(ev("round(a / b, 2)", a=nums(1), b=nums(8))) == [D("0.13")]
    assert num_list(ev("round(a / b, 2)", a=nums(2), b=nums(3))) == [D("0.67")]


def test_constants_evaluate_over_every_unit() -> None:
    out = ev("1 + 2 * 3", n=4)
    assert num_list(out) == [D(7)] * 4
    assert bool_list(ev("True and not False", n=2)) == [True, True]
