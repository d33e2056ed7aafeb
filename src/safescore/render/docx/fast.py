"""Hundreds of letters fast: one python-docx prototype per (template, heading), string templates
filled per unit.

:class:`LetterRenderer` builds one letter with python-docx from placeholder tokens, cuts the
repeating table rows out of its document.xml, and for every unit fills those string templates
with escaped text and zips them with the other parts, which are compressed once. The output is
the XML python-docx itself would write (the tests compare the two).
"""

from __future__ import annotations

import re
import struct
import zlib
from collections import deque
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from safescore.render._xlsx_names import safe_filename
from safescore.render.bulletin import LetterView
from safescore.render.docx.blocks import escape
from safescore.render.docx.letters import NO_CHARTS, LetterTexts, letter_document, letter_texts
from safescore.render.docx.package import Entry, doc_parts, stamp, zip_bytes
from safescore.render.docx.pictures import PictureSlot, Placed, image_relationships, shape_ids
from safescore.render.files import write_atomic

_WRITERS = 4  # measured: 1,000 letters 6.3 s with one writer, 3.1 s with four, no gain past four
_IN_FLIGHT = 64

# The fast path. Tokens are private-use-free brackets no cleaned value can turn into markup;
# values are inserted after the template is split, so a value that looks like a token stays text.
_TOK = re.compile(r"⟦([a-z_0-9]+)⟧")


def _tok(name: str) -> str:
    return f"⟦{name}⟧"


class _Tpl:
    """A string with ``⟦name⟧`` slots, split once; :meth:`fill` joins escaped values in."""

    __slots__ = ("parts",)

    def __init__(self, text: str) -> None:
        self.parts = _TOK.split(text)

    def fill(self, values: dict[str, str]) -> str:
        p = self.parts
        out = [p[0]]
        for i in range(1, len(p), 2):
            value = values.get(p[i])
            # a bracketed word that is not one of our slots (a template's own text) stays as is
            out.append(f"⟦{p[i]}⟧" if value is None else escape(value))
            out.append(p[i + 1])
        return "".join(out)


def _cut(xml: str, token: str, tag: str, lo: int = 0, hi: int | None = None) -> tuple[int, int]:
    """Start and end of the ``<tag>`` element around ``token`` (rows and cell paragraphs do not nest)."""
    i = xml.index(token, lo, hi)
    start = max(xml.rfind(f"<{tag}>", lo, i), xml.rfind(f"<{tag} ", lo, i))
    end = xml.index(f"</{tag}>", i) + len(tag) + 3
    if start < lo:
        raise ValueError(f"no <{tag}> around {token}")
    return start, end


_SCALARS = ("title", "to", "summary", "unit", "group", "total", "rank", "grade", "doc_title")


def _tiny_png(shade: int) -> bytes:
    """A valid 1 x 1 grey PNG: the prototype's stand-in for a chart (two shades, two pictures)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    head = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", head)
        + chunk(b"IDAT", zlib.compress(bytes([0, shade])))
        + chunk(b"IEND", b"")
    )


def _pictures(xml: str) -> list[tuple[int, int]]:
    """Start and end of every picture paragraph in document.xml, in order."""
    spans = []
    i = xml.find("<w:drawing>")
    while i >= 0:
        start = max(xml.rfind("<w:p>", 0, i), xml.rfind("<w:p ", 0, i))
        end = xml.index("</w:p>", i) + len("</w:p>")
        spans.append((start, end))
        i = xml.find("<w:drawing>", end)
    return spans


class LetterRenderer:
    """Fills one python-docx prototype per (template, heading, language, charts) for any number
    of letters.

    With ``charts`` the prototype has both pictures (section profile, trend) and each letter
    gets the ones it has; the charts themselves are drawn per letter (:mod:`safescore.render.charts`,
    cached on their data), which costs far more than the rest of a letter.
    """

    def __init__(
        self,
        template: Path | None = None,
        heading: str | None = None,
        *,
        lang: str = "zh",
        charts: bool = False,
    ) -> None:
        self.heading = heading
        self.lang = lang
        self.charts = charts
        proto = LetterTexts(
            {k: _tok(k) for k in _SCALARS},
            [(_tok("s0"), _tok("s1"), _tok("s2"))],
            [(_tok("d0"), _tok("d1"), _tok("d2"), _tok("d3"), _tok("d4"), [_tok("n")])],
            (_tiny_png(0x40), _tiny_png(0xC0)) if charts else NO_CHARTS,
        )
        self.when = stamp()
        # each part: compressed once (constant), a template (holds a tag), or a name: document.xml,
        # the relationships (which list the pictures) and the pictures themselves
        self.parts: list[tuple[str, Entry | _Tpl | str]] = []
        self.media: list[str] = []
        rels = ""
        for name, data in doc_parts(letter_document(proto, template, lang)):
            text = data.decode("utf-8") if name.endswith((".xml", ".rels")) else ""
            if name == "word/document.xml":
                document = text
                self.parts.append((name, "document"))
            elif name == "word/_rels/document.xml.rels":
                rels = text
                self.parts.append((name, "rels"))
            elif name.startswith("word/media/") and charts:
                self.media.append(name)
                if len(self.media) == 1:
                    self.parts.append((name, "media"))
            elif "⟦" in text:
                self.parts.append((name, _Tpl(text)))
            else:
                self.parts.append((name, Entry.of(name, data)))
        self.rels_head, image_rels, self.rels_tail = image_relationships(rels)
        self._split_document(document, image_rels)

    def _split_document(self, xml: str, image_rels: list[tuple[str, str, str]]) -> None:
        """Cut document.xml around the one section row, deduction row and note paragraph, and
        the picture paragraphs (profile above the section rows, trend below)."""
        pics = _pictures(xml)
        target = {rid: f"word/{path}" for rid, path, _ in image_rels}
        self.slots = [PictureSlot(xml[a:b]) for a, b in pics]
        self.placed = []
        for (a, b), shape_id in zip(pics, shape_ids(xml), strict=True):
            rid = xml[a:b].split('r:embed="', 1)[1].split('"', 1)[0]
            self.placed.append(Placed(rid, shape_id, target[rid]))
        self.rel_text = {rid: text for rid, _, text in image_rels}
        if [p.partname for p in self.placed] != self.media:
            raise ValueError("picture parts are not in document order")
        s0, s1 = _cut(xml, _tok("s0"), "w:tr")
        d0, d1 = _cut(xml, _tok("d0"), "w:tr")
        n0, n1 = _cut(xml, _tok("n"), "w:p", d0, d1)
        self.head = self._region(xml, 0, s0, pics)
        self.sec_row = _Tpl(xml[s0:s1])
        self.mid = self._region(xml, s1, d0, pics)
        self.ded_a, self.note, self.ded_b = _Tpl(xml[d0:n0]), _Tpl(xml[n0:n1]), _Tpl(xml[n1:d1])
        self.tail = _Tpl(xml[d1:])

    @staticmethod
    def _region(xml: str, lo: int, hi: int, pics: list[tuple[int, int]]) -> list[_Tpl | int]:
        """``xml[lo:hi]`` as templates with the picture paragraphs in it replaced by their index."""
        out: list[_Tpl | int] = []
        at = lo
        for k, (a, b) in enumerate(pics):
            if lo <= a and b <= hi:
                out += [_Tpl(xml[at:a]), k]
                at = b
        out.append(_Tpl(xml[at:hi]))
        return out

    def _fill_region(self, region: list[_Tpl | int], values: dict[str, str], pictures: dict[int, str]) -> str:
        return "".join(pictures.get(x, "") if isinstance(x, int) else x.fill(values) for x in region)

    def document_xml(self, t: LetterTexts) -> str:
        return self._document_xml(t, self._pictures_xml(t)[0])

    def _pictures_xml(self, t: LetterTexts) -> tuple[dict[int, str], list[tuple[Placed, bytes]]]:
        """Each present chart's paragraph by slot, and (place, PNG) in the order python-docx adds them."""
        xml: dict[int, str] = {}
        used: list[tuple[Placed, bytes]] = []
        for k, png in enumerate(t.charts[: len(self.slots)]):
            if png is None:
                continue
            place = self.placed[len(used)]
            xml[k] = self.slots[k].fill(png, place)
            used.append((place, png))
        return xml, used

    def _document_xml(self, t: LetterTexts, pictures: dict[int, str]) -> str:
        v = t.tags
        out = [self._fill_region(self.head, v, pictures)]
        for title, points, score in t.sections:
            out.append(self.sec_row.fill({"s0": title, "s1": points, "s2": score}))
        out.append(self._fill_region(self.mid, v, pictures))
        for no, title, points, score, lost, notes in t.deductions:
            row = {"d0": no, "d1": title, "d2": points, "d3": score, "d4": lost}
            out.append(self.ded_a.fill(row))
            out.extend(self.note.fill({"n": n}) for n in notes)
            out.append(self.ded_b.fill(row))
        out.append(self.tail.fill(v))
        return "".join(out)

    def render(self, letter: LetterView) -> bytes:
        """The .docx bytes of one letter."""
        if letter.lang != self.lang:
            raise ValueError(f"a {letter.lang} letter given to the {self.lang} renderer")
        t = letter_texts(letter, self.heading, with_charts=self.charts)
        pictures, used = self._pictures_xml(t)
        entries = []
        for name, part in self.parts:
            if isinstance(part, Entry):
                entries.append(part)
            elif part == "document":
                entries.append(Entry.of(name, self._document_xml(t, pictures).encode("utf-8")))
            elif part == "rels":
                rels = self.rels_head + "".join(self.rel_text[p.rid] for p, _ in used) + self.rels_tail
                entries.append(Entry.of(name, rels.encode("utf-8")))
            elif part == "media":
                entries.extend(Entry.stored(p.partname, png) for p, png in used)
            else:
                assert isinstance(part, _Tpl)
                entries.append(Entry.of(name, part.fill(t.tags).encode("utf-8")))
        return zip_bytes(entries, self.when)


def render_letter_docx(
    letter: LetterView,
    path: Path,
    *,
    template: Path | None = None,
    heading: str | None = None,
    charts: bool = False,
) -> None:
    """Write one unit's 反馈单 to ``path`` atomically."""
    renderer = LetterRenderer(template, heading, lang=letter.lang, charts=charts)
    write_atomic(Path(path), renderer.render(letter))


def letter_filename(unit: str, used: set[str]) -> str:
    """``<unit>.docx`` made safe (see :func:`safe_filename`), ``<unit>-2.docx`` … when taken.

    ``used`` holds the case-folded names given so far: Windows and macOS ignore case.
    """
    stem = safe_filename(unit)
    candidate, n = stem, 1
    while f"{candidate}.docx".casefold() in used:
        n += 1
        candidate = f"{stem}-{n}"
    name = f"{candidate}.docx"
    used.add(name.casefold())
    return name


def render_letters_docx(
    letters: Iterable[LetterView],
    out_dir: Path,
    *,
    template: Path | None = None,
    heading: str | None = None,
    charts: bool = False,
) -> list[Path]:
    """Write one 反馈单 per unit into ``out_dir`` (each file atomically); return the paths in order.

    ``heading`` None: the catalogue's, in each letter's language. ``charts``: each letter gets its
    section profile and, with earlier stored periods, its trend as pictures (off by default:
    drawing them costs about a hundred times a letter without them; see docs/rendering.md).

    Rendering stays on this thread; the writes (each a temp file, fsync and rename, which take
    longer than rendering) go to a few threads, as fsync releases the GIL. At most
    ``_IN_FLIGHT`` documents wait in memory. The first failed write is raised once the others end.
    """
    out_dir = Path(out_dir)
    renderers: dict[str, LetterRenderer] = {}
    used: set[str] = set()
    paths: list[Path] = []
    pending: deque[Future[None]] = deque()
    with ThreadPoolExecutor(max_workers=_WRITERS, thread_name_prefix="docx-write") as pool:
        try:
            for letter in letters:
                renderer = renderers.get(letter.lang)
                if renderer is None:
                    renderer = LetterRenderer(template, heading, lang=letter.lang, charts=charts)
                    renderers[letter.lang] = renderer
                path = out_dir / letter_filename(letter.unit, used)
                pending.append(pool.submit(write_atomic, path, renderer.render(letter)))
                paths.append(path)
                while len(pending) > _IN_FLIGHT:
                    pending.popleft().result()
        finally:
            errors = [e for e in (f.exception() for f in pending) if e is not None]
        if errors:
            raise errors[0]
    return paths
