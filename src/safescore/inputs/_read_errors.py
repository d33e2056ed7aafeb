"""How the workbook reader refuses a file or skips a sheet: problem codes and their messages."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from safescore.inputs import _xlsx_scan as xs
from safescore.problems import Problem, Severity

T = TypeVar("T")

# Messages name the file ({f}) and say what it is and what was expected.
_MSG = {
    "input-not-found": "找不到输入文件或文件夹：{detail}。",
    "file-unreadable": "无法读取 {f}：{detail}。",
    "file-empty": "文件 {f} 是空文件（0 字节），请重新报送。",
    "file-corrupt": "文件 {f} 已损坏或不完整（可能传输中断），无法解析，请用 Excel 打开检查后重新保存报送。",
    "file-too-large": "文件 {f} 解压后约 {detail} 字节，超过上限，拒绝读取（可能是压缩炸弹）。",
    "file-encrypted": "文件 {f} 受密码保护，请取消密码后重新报送。",
    "unsupported-format": "文件 {f} 是 .xlsb（二进制工作簿）格式，暂不支持，请另存为 .xlsx 后重新报送。",
    "not-a-workbook": "文件 {f} 实际是{detail}，不是 Excel 工作簿，请用 Excel 打开后另存为 .xlsx。",
    "xml-unsafe": "文件 {f} 含有不安全的 XML 声明（DOCTYPE/ENTITY，可能是 XML 炸弹），拒绝读取。",
    "extension-mismatch": "文件 {f} 的扩展名是 {detail}，但内容实际是 .{kind} 格式，已按 .{kind} 读取；建议另存为正确的格式。",
    "sheet-too-large": "文件 {f} 的工作表「{sheet}」{detail}，超过上限，已跳过。",
    "sheet-unreadable": "文件 {f} 的工作表「{sheet}」无法读取（{detail}），已跳过。",
    "merged-range-reversed": "文件 {f} 的工作表「{sheet}」有{detail}起止单元格写反了，这些合并区域未被采用。",
}


class Refused(Exception):
    """The whole file is refused with this problem code (raised inside the reader only)."""

    def __init__(self, code: str, detail: object = "", expected: str | None = None, sheet: str | None = None):
        super().__init__(code)
        self.code, self.detail, self.expected, self.sheet = code, str(detail)[:300], expected, sheet


def problem(
    path: Path, code: str, detail: object = "", *, severity: Severity = "error", **kw: Any
) -> Problem:
    """The Problem for ``code`` about the file at ``path``, its message filled in."""
    fmt = {"f": path.name, "detail": detail, "sheet": kw.get("sheet"), "kind": kw.pop("kind", "")}
    return Problem(code=code, message=_MSG[code].format(**fmt), severity=severity, file=str(path), **kw)


def guard(fn: Callable[[], T]) -> T:
    """Run a package step, turning XML/zip failures into whole-file refusals."""
    try:
        return fn()
    except Refused:
        raise
    except xs.UnsafeXml as exc:
        raise Refused("xml-unsafe", exc) from None
    except xs.TooLarge as exc:
        raise Refused(exc.code, exc.detail, exc.expected, sheet=exc.sheet) from None
    except xs.Encrypted:
        raise Refused("file-encrypted", expected="未加密的工作簿") from None
    except Exception as exc:  # ExpatError, BadZipFile (CRC), zlib.error, EOFError ...
        raise Refused("file-corrupt", f"{type(exc).__name__}: {exc}") from None


def too_large(path: Path, sheet: str, n: int, limit: int) -> Problem:
    """The sheet-too-large Problem for a sheet of ``n`` cells (the cap is ``limit``)."""
    return problem(
        path,
        "sheet-too-large",
        f"约有 {n} 个单元格",
        sheet=sheet,
        value=str(n),
        expected=f"不超过 {limit} 个单元格",
    )
