"""Reading parts of a zip held in memory, and the prolog checks that inflate only a part's start."""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

import hostile
import pytest

from safescore.inputs import _xlsx_zip as xz
from safescore.inputs.workbook import read_workbook
from safescore.problems import Report

_NS = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _zip(members: dict[str, tuple[bytes, int]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as out:
        for name, (data, method) in members.items():
            out.writestr(name, data, compress_type=method)
    return buf.getvalue()


def _package(raw: bytes) -> xz.Package:
    return xz.Package(zipfile.ZipFile(io.BytesIO(raw)), raw)


class _Counting:
    """A stream that counts the bytes handed out (what the prolog check inflated)."""

    def __init__(self, inner: xz.Readable):
        self.inner, self.given = inner, 0

    def read(self, n: int = -1, /) -> bytes:
        out = self.inner.read(n)
        self.given += len(out)
        return out

    def close(self) -> None:
        self.inner.close()


def test_parts_read_whole_or_in_pieces_equal_zipfile() -> None:
    rnd = random.Random(4)
    noise = bytes(rnd.getrandbits(8) for _ in range(70_000))  # incompressible: many deflate blocks
    text = b"<row>" + b"<c r='A1'><v>1</v></c>" * 9000 + b"</row>"
    members = {
        "noise-deflated": (noise, zipfile.ZIP_DEFLATED),
        "noise-stored": (noise, zipfile.ZIP_STORED),
        "text-deflated": (text, zipfile.ZIP_DEFLATED),
        "text-stored": (text, zipfile.ZIP_STORED),
        "empty": (b"", zipfile.ZIP_DEFLATED),
        "one": (b"x", zipfile.ZIP_DEFLATED),
    }
    pkg = _package(_zip(members))
    for info in pkg.zf.infolist():
        expected = members[info.filename][0]
        assert pkg.read(info) == expected
        for step in (1, 7, 1000, 65536):
            reader, got = pkg.stream(info), []
            assert isinstance(reader, xz._PartReader)  # the fast path, not zipfile's
            while chunk := reader.read(step):
                assert len(chunk) == step or b"".join(got) + chunk == expected
                got.append(chunk)
            assert b"".join(got) == expected, (info.filename, step)


def test_prolog_check_inflates_only_the_start_of_a_big_part() -> None:
    sheet = b'<?xml version="1.0"?>\n<worksheet xmlns="%s"><sheetData>' % _NS
    sheet += b'<row r="1"><c r="A1"><v>1</v></c></row>' * 20_000 + b"</sheetData></worksheet>"
    pkg = _package(_zip({"xl/worksheets/sheet4.xml": (sheet, zipfile.ZIP_DEFLATED)}))
    stream = _Counting(pkg.stream(pkg.zf.infolist()[0]))
    assert xz._prolog(stream) == (False, b'<worksheet xmlns="%s">' % _NS)
    assert stream.given <= 2048 < len(sheet) // 100


@pytest.mark.parametrize("method", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED])
def test_doctype_after_a_long_comment_is_found(method: int) -> None:
    part = b"<?xml version='1.0'?><!--" + b"-" * 300_000 + b'x--><!DOCTYPE x [<!ENTITY e "e">]><x>&e;</x>'
    raw = _zip({"docProps/app.xml": (b"<Properties/>", method), "xl/styles.xml": (part, method)})
    assert xz.first_unsafe_part(_package(raw)) == "xl/styles.xml"


@pytest.mark.parametrize("spaces", [2_000, 70_000, 1_100_000])
def test_doctype_after_much_whitespace_is_found(spaces: int) -> None:
    # beyond the 1 MB prolog limit the part is refused without looking further
    part = b" \r\n\t" * (spaces // 4) + b'<!DOCTYPE x [<!ENTITY e "e">]><x>&e;</x>'
    raw = _zip({"xl/styles.xml": (part, zipfile.ZIP_DEFLATED)})
    assert xz.first_unsafe_part(_package(raw)) == "xl/styles.xml"
    fine = _zip({"xl/styles.xml": (b"\xef\xbb\xbf" + b" " * 5000 + b"<styleSheet/>", zipfile.ZIP_DEFLATED)})
    assert xz.first_unsafe_part(_package(fine)) is None


def _sst(attrs: bytes) -> bytes:
    return b'<?xml version="1.0"?><sst xmlns="%s" %s><si><t>x</t></si><si><t>y</t></si></sst>' % (_NS, attrs)


@pytest.mark.parametrize(
    "attrs",
    [
        b'uniqueCount="4294967295"',
        b'count="2" x="a>b" uniqueCount="4294967295"',  # a '>' inside a value does not end the tag
        b" ".join(b'a%d="%d"' % (i, i) for i in range(800)) + b' uniqueCount="4294967295"',  # 8 KB in
        b"uniqueCount = '4294967295'",
    ],
)
def test_shared_strings_count_lie_anywhere_in_the_start_tag_is_refused(attrs: bytes) -> None:
    pkg = _package(_zip({"xl/sharedStrings.xml": (_sst(attrs), zipfile.ZIP_DEFLATED)}))
    with pytest.raises(ValueError, match="4294967295"):
        xz.first_unsafe_part(pkg)


def test_shared_strings_with_an_honest_count_pass() -> None:
    pkg = _package(_zip({"xl/sharedStrings.xml": (_sst(b'count="2" uniqueCount="2"'), zipfile.ZIP_DEFLATED)}))
    assert xz.first_unsafe_part(pkg) is None


def _corrupt(path: Path, old: bytes, new: bytes) -> Path:
    raw = path.read_bytes()
    assert raw.count(old) >= 1 and len(old) == len(new)
    path.write_bytes(raw.replace(old, new, 1))  # the first occurrence: the member's local header/data
    return path


def test_bad_crc_and_header_mismatch_are_zipfile_errors(tmp_path: Path) -> None:
    good = hostile.make_simple_xlsx(tmp_path, [["单位名称", "得分"], ["甲局", 90]], name="good.xlsx")
    raw = good.read_bytes()
    with zipfile.ZipFile(io.BytesIO(raw)) as zf:
        members = {i.filename: (zf.read(i), zipfile.ZIP_STORED) for i in zf.infolist()}
    stored = tmp_path / "stored.xlsx"
    stored.write_bytes(_zip(members))
    # a stored sheet with one byte changed: its CRC no longer matches
    bad_crc = _corrupt(stored, b"<v>90</v>", b"<v>91</v>")
    pkg = _package(bad_crc.read_bytes())
    with pytest.raises(zipfile.BadZipFile, match="CRC"):
        pkg.read(pkg.zf.getinfo("xl/worksheets/sheet1.xml"))
    # a local header naming another member than the directory does
    renamed = tmp_path / "renamed.xlsx"
    renamed.write_bytes(raw.replace(b"xl/worksheets/sheet1.xml", b"xl/worksheets/sheetX.xml", 1))
    pkg = _package(renamed.read_bytes())
    with pytest.raises(zipfile.BadZipFile, match="differ"):
        pkg.read(pkg.zf.getinfo("xl/worksheets/sheet1.xml"))
    for path in (bad_crc, renamed):  # the sheet's own part is broken: the sheet is skipped
        report = Report()
        data = read_workbook(path, report)
        assert data is not None and data.sheets == [] and report.codes() == ["sheet-unreadable"]
        assert "BadZipFile" in str(report.problems[0].message)
    report = Report()
    data = read_workbook(good, report)
    assert (
        report.codes() == []
        and data is not None
        and data.sheets[0].rows == [["单位名称", "得分"], ["甲局", 90]]
    )
