"""Template tags: ``{{ name }}`` filled in body, headers and footers; ``{{ content }}`` marks where
generated text goes in a user's template."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from docx.document import Document as DocumentObject
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml.ns import qn

from safescore.render.docx.blocks import clean

TAG = re.compile(r"\{\{\s*([A-Za-z_]\w*)\s*\}\}")
CONTENT_TAG = "content"


def story_roots(doc: DocumentObject) -> Iterator[Any]:
    """The body and every header and footer part: where template tags may stand."""
    yield doc.element.body
    seen: set[int] = set()
    for rel in doc.part.rels.values():
        if rel.reltype in (RT.HEADER, RT.FOOTER) and not rel.is_external:
            part = rel.target_part
            if id(part) not in seen:
                seen.add(id(part))
                yield part.element


def fill_tags(doc: DocumentObject, values: dict[str, str]) -> None:
    """Replace ``{{ name }}`` tags in body, headers and footers, even when Word split them across runs.

    Unknown tags stay as they are, so a misspelt tag shows in the output instead of vanishing.
    """
    for root in story_roots(doc):
        for p in root.iter(qn("w:p")):
            ts = list(p.iter(qn("w:t")))
            full = "".join(t.text or "" for t in ts)
            if "{{" not in full:
                continue
            matches = [m for m in TAG.finditer(full) if m.group(1) in values]
            for m in reversed(matches):  # right to left keeps earlier offsets valid
                _replace_span(ts, m.start(), m.end(), clean(values[m.group(1)]))


def _replace_span(ts: list[Any], start: int, end: int, new: str) -> None:
    pos = 0
    first = True
    for t in ts:
        text = t.text or ""
        a, b = pos, pos + len(text)
        pos = b
        if b <= start or a >= end:
            continue
        lo, hi = max(start, a) - a, min(end, b) - a
        t.text = text[:lo] + (new if first else "") + text[hi:]
        t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        first = False


def content_marker(doc: DocumentObject) -> Any | None:
    """The body paragraph that holds only ``{{ content }}``, where generated text goes."""
    for p in doc.element.body.iter(qn("w:p")):
        text = "".join(t.text or "" for t in p.iter(qn("w:t"))).strip()
        m = TAG.fullmatch(text)
        if m and m.group(1) == CONTENT_TAG:
            return p
    return None


class Body:
    """Where generated content goes: the end of the body, later moved to ``{{ content }}`` if any."""

    def __init__(self, doc: DocumentObject, template: Path | None, tags: dict[str, str]) -> None:
        self.doc = doc
        self.marker = content_marker(doc) if template is not None else None
        if self.marker is None:
            clear_body(doc)
        fill_tags(doc, tags)
        self.before = set(doc.element.body)

    def finish(self) -> None:
        if self.marker is None:
            return
        body = self.doc.element.body
        new = [el for el in body if el not in self.before and el.tag != qn("w:sectPr")]
        for el in new:
            self.marker.addprevious(el)
        self.marker.getparent().remove(self.marker)


def clear_body(doc: DocumentObject) -> None:
    """Remove the template's content but keep its last section properties (page set-up, footers)."""
    body = doc.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
