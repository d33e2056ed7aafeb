"""Cleaning raw cell values (SPEC 4.4): exact Decimals, stable error codes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safescore.inputs.clean import (
    Cleaned,
    CleanError,
    clean_value,
    is_excel_error,
    is_missing_marker,
    normalize_label,
    normalize_name,
    normalize_text,
    parse_bool,
    parse_date,
    parse_number,
    parse_percent,
)
from safescore.rubric.model import FieldDef


def fd(type_: str = "number", **kw: object) -> FieldDef:
    return FieldDef(label="x", type=type_, **kw)


def code_of(fn, *args, **kw) -> str:
    with pytest.raises(CleanError) as exc:
        fn(*args, **kw)
    assert exc.value.expected  # always says what would be accepted
    return exc.value.code


# --- normalisation ---------------------------------------------------------------


def test_normalize_text_folds_width_and_whitespace() -> None:
    assert normalize_text("  Ａ\u3000B\n\tC\xa0 ") == "A B C"
    assert normalize_text("１２．５") == "12.5"
    assert normalize_text(None) == ""
    assert normalize_text("a\u200bb") == "ab"


def test_normalize_name_removes_all_whitespace() -> None:
    assert normalize_name("钢城区\n应急\u3000管理 局 ") == "钢城区应急管理局"
    assert normalize_name("（Ａ）") == "(A)"


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("隐患整改率\n（%）", "隐患整改率"),
        ("培训人数(人次)", "培训人数"),
        ("投入（万元）[年]", "投入"),
        ("检查次数 [次]", "检查次数"),
        ("面积【平方米】", "面积"),
        ("Score(%)", "score"),
        ("隐患数（含重大隐患）", "隐患数(含重大隐患)"),  # a qualifier, not a unit
        ("(%)", "(%)"),  # never strip a label to nothing
    ],
)
def test_normalize_label(raw: str, want: str) -> None:
    assert normalize_label(raw) == want


# --- missing markers and Excel errors -------------------------------------------


@pytest.mark.parametrize(
    "raw", [None, "", "   ", "\n", "无", "/", "／", "—", "——", "-", "－", "--", "N/A", "n/a", "NA", " 无 "]
)
def test_missing_markers(raw: object) -> None:
    assert is_missing_marker(raw)
    assert parse_number(raw) is None
    assert parse_percent(raw) is None
    assert parse_date(raw) is None


@pytest.mark.parametrize("raw", [0, 0.0, "0", "#N/A", "#DIV/0!", "无效", False])
def test_not_missing(raw: object) -> None:
    assert not is_missing_marker(raw)


@pytest.mark.parametrize(
    "raw", ["#DIV/0!", "#N/A", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!", " #n/a "]
)
@pytest.mark.parametrize("type_", ["int", "number", "percent", "bool", "text", "date"])
def test_excel_errors_are_errors_for_every_type(raw: str, type_: str) -> None:
    assert is_excel_error(raw)
    assert code_of(clean_value, raw, fd(type_)) == "excel-error"


def test_excel_error_for_choice_and_parsers() -> None:
    assert code_of(clean_value, "#REF!", fd("choice", choices=["A", "B"])) == "excel-error"
    for fn in (parse_number, parse_percent, parse_bool, parse_date):
        assert code_of(fn, "#VALUE!") == "excel-error"


# --- numbers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        (0.1, D("0.1")),
        (0.955, D("0.955")),
        (3.0, D("3")),
        (0.1 + 0.2, D("0.3")),  # Excel's 15 significant digits: what the cell shows
        (1e16, D("10000000000000000")),
        (12, D("12")),
        (-7, D("-7")),
        (D("2.50"), D("2.5")),
        ("12", D("12")),
        (" 12.5 ", D("12.5")),
        ("１２", D("12")),
        ("１２．５", D("12.5")),
        ("１，２３４", D("1234")),
        ("1,234", D("1234")),
        ("1，234", D("1234")),
        ("1,234,567.25", D("1234567.25")),
        ("+5", D("5")),
        ("-5", D("-5")),
        ("－5", D("-5")),
        ("−5", D("-5")),
        (".5", D("0.5")),
        ("1e3", D("1000")),
        ("1.5E-2", D("0.015")),
    ],
)
def test_parse_number(raw: object, want: D) -> None:
    got = parse_number(raw)
    assert isinstance(got, D)
    assert got == want
    assert str(got) == str(want)  # canonical form, e.g. 3 not 3.0


def test_integral_float_has_no_exponent_or_fraction() -> None:
    assert str(parse_number(3.0)) == "3"
    assert str(parse_number("1e3")) == "1000"


@pytest.mark.parametrize(
    "raw",
    [
        "abc",
        "12,34",
        "1,2345",
        "1 2",
        "12次",
        "1.2.3",
        "++5",
        "五",
        "nan",
        "inf",
        True,
        False,
        float("nan"),
        float("inf"),
        dt.date(2022, 3, 1),
        dt.datetime(2022, 3, 1),
        dt.time(8, 0),
    ],
)
def test_not_a_number(raw: object) -> None:
    assert code_of(parse_number, raw) == "not-a-number"


@given(st.floats(allow_nan=False, allow_infinity=False, width=64))
def test_floats_convert_at_excels_15_significant_digits(x: float) -> None:
    try:
        got = parse_number(x)
    except CleanError as exc:  # absurd magnitudes are refused, never silently changed
        assert exc.code == "number-out-of-range"
        return
    assert got == D(format(x, ".15g"))
    assert float(got) == float(format(x, ".15g"))


def test_absurd_magnitudes_are_refused() -> None:
    for raw in ("1e-5000", "1E+500000", 1e300, "1e-30", "1" * 19):
        with pytest.raises(CleanError) as err:
            parse_number(raw)
        assert err.value.code == "number-out-of-range"


# --- percent ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("95%", D("0.95")),
        ("95 %", D("0.95")),
        ("９５％", D("0.95")),
        ("95.5%", D("0.955")),
        ("100%", D("1")),
        ("0%", D("0")),
        (95, D("0.95")),
        (95.5, D("0.955")),
        (0.95, D("0.95")),
        (0.955, D("0.955")),
        ("0.95", D("0.95")),
        ("95", D("0.95")),
        (1, D("1")),  # 0..1 inclusive is a fraction
        (0, D("0")),
        (100, D("1")),
        (1.5, D("0.015")),  # above 1 is a percentage
    ],
)
def test_parse_percent(raw: object, want: D) -> None:
    assert parse_percent(raw) == want


@pytest.mark.parametrize("raw", [120, 100.5, "120%", -5, -0.1, "-5%"])
def test_percent_out_of_range(raw: object) -> None:
    assert code_of(parse_percent, raw) == "percent-out-of-range"


def test_percent_bounds_widen_the_range() -> None:
    assert parse_percent(120, max_value=D("1.5")) == D("1.2")
    assert parse_percent("120%", max_value=D("1.5")) == D("1.2")
    assert code_of(parse_percent, 160, max_value=D("1.5")) == "percent-out-of-range"
    assert parse_percent(-5, min_value=D("-0.1")) == D("-0.05")
    assert parse_percent("-5%", min_value=D("-0.1")) == D("-0.05")
    assert code_of(parse_percent, -20, min_value=D("-0.1")) == "percent-out-of-range"


def test_percent_field_uses_field_bounds() -> None:
    grow = fd("percent", max=D("1.5"))
    assert clean_value(120, grow).value == D("1.2")
    assert clean_value("150%", grow).value == D("1.5")
    assert code_of(clean_value, "151%", grow) == "percent-out-of-range"
    # a string bound names another field: no widening, no bounds check here
    assert code_of(clean_value, 120, fd("percent", max="other")) == "percent-out-of-range"
    assert clean_value(0.5, fd("percent", max="other")).value == D("0.5")


def test_percent_field_bounds_compare_the_fraction() -> None:
    f = fd("percent", min=D("0.9"))
    assert clean_value("95%", f).value == D("0.95")
    assert clean_value(90, f).value == D("0.9")
    with pytest.raises(CleanError) as exc:
        clean_value("85%", f)
    assert exc.value.code == "out-of-range"
    assert "90%" in exc.value.expected
    assert code_of(clean_value, 0.6, fd("percent", max=D("0.5"))) == "out-of-range"


def test_percent_notes() -> None:
    assert clean_value("95%", fd("percent")) == Cleaned(D("0.95"), "百分数95%→0.95")
    assert clean_value(0.95, fd("percent")) == Cleaned(D("0.95"), None)
    assert "0.955" in (clean_value(95.5, fd("percent")).note or "")
    assert "全角" in (clean_value("９５％", fd("percent")).note or "")


# --- bools ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "是",
        "√",
        "✓",
        "✔",
        "有",
        "对",
        "Y",
        "y",
        "yes",
        "YES",
        "true",
        "True",
        "1",
        " 是 ",
        "已",
        1,
        1.0,
        True,
    ],
)
def test_bool_true(raw: object) -> None:
    assert parse_bool(raw) is True
    assert clean_value(raw, fd("bool")) == Cleaned(True)


@pytest.mark.parametrize(
    "raw", ["否", "×", "✗", "✘", "无", "错", "N", "no", "false", "FALSE", "0", "\n否\n", "未", 0, 0.0, False]
)
def test_bool_false(raw: object) -> None:
    assert parse_bool(raw) is False
    assert clean_value(raw, fd("bool")).value is False


@pytest.mark.parametrize("raw", [None, "", "  ", "/", "—"])
def test_bool_missing(raw: object) -> None:
    assert parse_bool(raw) is None
    assert clean_value(raw, fd("bool", blank="zero")).value is None  # zero applies to numbers only


@pytest.mark.parametrize("raw", ["maybe", "可能", 2, 0.5, "是否", dt.date(2022, 1, 1)])
def test_not_a_bool(raw: object) -> None:
    assert code_of(parse_bool, raw) == "not-a-bool"
    assert code_of(clean_value, raw, fd("bool")) == "not-a-bool"


def test_wu_is_false_for_bool_but_missing_for_number() -> None:
    assert clean_value("无", fd("bool")).value is False
    assert clean_value("无", fd("number")).value is None
    assert clean_value("无", fd("int")).value is None


# --- dates ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        (44621, dt.date(2022, 3, 1)),
        (44621.0, dt.date(2022, 3, 1)),
        (44621.75, dt.date(2022, 3, 1)),  # time of day dropped
        (1, dt.date(1900, 1, 1)),
        (59, dt.date(1900, 2, 28)),
        (61, dt.date(1900, 3, 1)),
        (2958465, dt.date(9999, 12, 31)),
        (dt.date(2022, 3, 5), dt.date(2022, 3, 5)),
        (dt.datetime(2022, 3, 5, 14, 30), dt.date(2022, 3, 5)),
        ("2022.3.5", dt.date(2022, 3, 5)),
        ("2022-03-05", dt.date(2022, 3, 5)),
        ("2022/3/5", dt.date(2022, 3, 5)),
        ("2022年3月5日", dt.date(2022, 3, 5)),
        ("2022年3月5号", dt.date(2022, 3, 5)),
        ("2022 年 3 月 5 日", dt.date(2022, 3, 5)),
        ("20220305", dt.date(2022, 3, 5)),
        ("２０２２年３月５日", dt.date(2022, 3, 5)),
        ("２０２２．３．５", dt.date(2022, 3, 5)),
        ("2022-03-05 00:00:00", dt.date(2022, 3, 5)),
        ("2022-03-05T08:15", dt.date(2022, 3, 5)),
    ],
)
def test_parse_date(raw: object, want: dt.date) -> None:
    assert parse_date(raw) == want
    assert clean_value(raw, fd("date")).value == want


@pytest.mark.parametrize(
    "raw",
    [
        0,
        -1,
        60,
        2958466,
        "2022-02-30",
        "2022.13.1",
        "2022-3/5",
        "3月5日",
        "44621",
        "昨天",
        True,
        dt.time(8, 0),
        "20221305",
    ],
)
def test_not_a_date(raw: object) -> None:
    assert code_of(parse_date, raw) == "not-a-date"


def test_date_notes() -> None:
    assert "44621" in (clean_value(44621, fd("date")).note or "")
    assert clean_value(dt.date(2022, 3, 5), fd("date")).note is None


# --- clean_value for numeric fields -------------------------------------------------


def test_int_field() -> None:
    f = fd("int")
    assert clean_value(3, f) == Cleaned(D("3"))
    assert clean_value(3.0, f) == Cleaned(D("3"))
    assert str(clean_value(D("3.0"), f).value) == "3"
    assert clean_value("3", f).value == D("3")
    assert code_of(clean_value, 3.5, f) == "not-an-integer"
    assert code_of(clean_value, "2.25", f) == "not-an-integer"
    assert code_of(clean_value, True, f) == "not-a-number"


def test_number_field_rejects_bool_and_junk() -> None:
    assert code_of(clean_value, True, fd()) == "not-a-number"
    assert code_of(clean_value, "十二", fd()) == "not-a-number"
    assert code_of(clean_value, dt.datetime(2022, 3, 5), fd()) == "not-a-number"


def test_trailing_unit_only_when_it_is_the_fields_unit() -> None:
    f = fd("int", unit="次")
    assert clean_value("3次", f).value == D("3")
    assert clean_value(" 3 次 ", f).value == D("3")
    assert clean_value("３次", f).value == D("3")
    assert "次" in (clean_value("3次", f).note or "")
    assert code_of(clean_value, "3处", f) == "not-a-number"
    assert code_of(clean_value, "次", f) == "not-a-number"
    assert code_of(clean_value, "3次", fd("int")) == "not-a-number"
    assert clean_value("12.5万元", fd(unit="万元")).value == D("12.5")
    assert code_of(parse_number, "3次") == "not-a-number"


def test_blank_is_missing_unless_zero() -> None:
    assert clean_value(None, fd()) == Cleaned(None)
    assert clean_value("", fd("int")) == Cleaned(None)
    assert clean_value("/", fd("percent")) == Cleaned(None)
    assert clean_value(None, fd(blank="zero")) == Cleaned(D("0"), "空白按0计")
    assert clean_value("  ", fd("int", blank="zero")) == Cleaned(D("0"), "空白按0计")
    assert clean_value(None, fd("percent", blank="zero")).value == D("0")
    zero = clean_value("无", fd(blank="zero"))
    assert zero.value == D("0")
    assert zero.note and "无" in zero.note
    # blank: zero never applies to text or dates
    assert clean_value(None, fd("text", blank="zero")).value is None
    assert clean_value(None, fd("date", blank="zero")).value is None


def test_zero_is_a_value_not_missing() -> None:
    assert clean_value(0, fd()) == Cleaned(D("0"))
    assert clean_value("0", fd("int")).value == D("0")


def test_numeric_bounds() -> None:
    f = fd(min=D("0"), max=D("10"))
    assert clean_value(10, f).value == D("10")
    assert clean_value(0, f).value == D("0")
    with pytest.raises(CleanError) as exc:
        clean_value(-1, f)
    assert (exc.value.code, exc.value.expected) == ("out-of-range", "不小于 0")
    with pytest.raises(CleanError) as exc:
        clean_value("10.5", f)
    assert (exc.value.code, exc.value.expected) == ("out-of-range", "不大于 10")
    # a string bound names another field and is checked elsewhere
    assert clean_value(99, fd(max="total")).value == D("99")


def test_notes_say_what_changed() -> None:
    assert clean_value(12, fd()).note is None
    assert clean_value(12.5, fd()).note is None
    assert "文本数字已转换" in (clean_value("12", fd()).note or "")
    note = clean_value("１２", fd()).note or ""
    assert "全角数字已转换" in note
    assert "千分位" in (clean_value("1,234", fd()).note or "")


# --- text and choice ----------------------------------------------------------------


def test_text_field() -> None:
    assert clean_value("  已 整改\n完毕 ", fd("text")) == Cleaned("已 整改 完毕")
    assert clean_value("Ａ类", fd("text")) == Cleaned("A类", "全角字符已转换")
    assert clean_value(12.0, fd("text")).value == "12"
    assert clean_value(0.1, fd("text")).value == "0.1"
    assert clean_value(7, fd("text")).value == "7"
    assert clean_value(dt.datetime(2022, 3, 5), fd("text")).value == "2022-03-05"
    assert clean_value("", fd("text")).value is None
    assert clean_value("/", fd("text")).value is None


def test_choice_field() -> None:
    f = fd("choice", choices=["A类", "B类", "无"])
    assert clean_value("A类", f) == Cleaned("A类")
    assert clean_value(" Ａ 类\n", f).value == "A类"
    assert clean_value("a类", f).value == "A类"
    assert clean_value("无", f).value == "无"  # a real choice wins over the missing marker
    assert clean_value(None, f).value is None
    with pytest.raises(CleanError) as exc:
        clean_value("C类", f)
    assert exc.value.code == "not-a-choice"
    assert exc.value.expected == "可选：A类、B类、无"


def test_choice_with_numeric_cells() -> None:
    f = fd("choice", choices=["1", "2", "3"])
    assert clean_value(2.0, f).value == "2"
    assert clean_value(3, f).value == "3"
    assert code_of(clean_value, 4, f) == "not-a-choice"
