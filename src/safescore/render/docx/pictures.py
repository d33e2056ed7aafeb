"""Charts in Word: PNG pictures inline in their own centred paragraph.

:func:`add_picture` is python-docx's own way (bulletin, reference letters). For the letters' fast
path, :class:`PictureSlot` turns a picture paragraph python-docx wrote in the prototype into a
string template and fills it per letter with the numbers python-docx would have chosen: the
k-th picture a letter has takes the prototype's k-th relationship id, drawing id and media part
(python-docx hands out the lowest free ones in order), and its size comes from python-docx's own
:meth:`~docx.image.image.Image.scaled_dimensions`.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from docx.image.image import Image
from docx.shared import Mm
from docx.styles.style import ParagraphStyle
from docx.text.paragraph import Paragraph

from safescore.render.charts import WIDTH_MM
from safescore.render.docx.blocks import para

WIDTH = Mm(WIDTH_MM)


def add_picture(doc: Any, style: ParagraphStyle, png: bytes) -> Paragraph:
    """A centred paragraph holding ``png`` at the chart width (python-docx's XML)."""
    p = para(doc, style)
    p.add_run().add_picture(io.BytesIO(png), width=WIDTH)
    return p


def add_pictures(doc: Any, style: ParagraphStyle, pngs: Sequence[bytes | None]) -> None:
    """:func:`add_picture` for each PNG that is there (a chart may be missing: no font, no data)."""
    for png in pngs:
        if png is not None:
            add_picture(doc, style, png)


@dataclass(frozen=True)
class Placed:
    """Where the prototype's k-th picture went: its relationship id, drawing id and media part."""

    rid: str
    shape_id: int
    partname: str  # word/media/image1.png


_EXTENT = re.compile(r'(<wp:extent cx=")\d+(" cy=")\d+(")')
_EXT = re.compile(r'(<a:ext cx=")\d+(" cy=")\d+(")')
_DOCPR = re.compile(r'<wp:docPr id="\d+" name="Picture \d+"')
_EMBED = re.compile(r'r:embed="rId\d+"')


class PictureSlot:
    """One picture paragraph of the prototype's document.xml as a template."""

    def __init__(self, xml: str) -> None:
        for pattern in (_EXTENT, _EXT, _DOCPR, _EMBED):
            if len(pattern.findall(xml)) != 1:
                raise ValueError(f"unexpected picture XML: {pattern.pattern} not found once")
        xml = _EXTENT.sub(r"\g<1>⟦cx⟧\g<2>⟦cy⟧\g<3>", xml)
        xml = _EXT.sub(r"\g<1>⟦cx⟧\g<2>⟦cy⟧\g<3>", xml)
        xml = _DOCPR.sub('<wp:docPr id="⟦id⟧" name="Picture ⟦id⟧"', xml)
        self.parts = _EMBED.sub('r:embed="⟦rid⟧"', xml).split("⟦")

    def fill(self, png: bytes, place: Placed) -> str:
        cx, cy = Image.from_blob(png).scaled_dimensions(WIDTH, None)
        values = {"cx": str(cx), "cy": str(cy), "id": str(place.shape_id), "rid": place.rid}
        out = [self.parts[0]]
        for part in self.parts[1:]:
            name, _, rest = part.partition("⟧")
            out.append(values[name])
            out.append(rest)
        return "".join(out)


_REL = re.compile(r'<Relationship Id="(rId\d+)" Type="[^"]+/image" Target="(media/[^"]+)"/>')


def image_relationships(rels_xml: str) -> tuple[str, list[tuple[str, str, str]], str]:
    """Split document.xml.rels around its image relationships: (before, [(rId, target, element)],
    after).

    python-docx writes the relationships it added last, so the images come after the others.
    """
    found = list(_REL.finditer(rels_xml))
    if not found:
        return rels_xml, [], ""
    start, end = found[0].start(), found[-1].end()
    if rels_xml[start:end] != "".join(m.group(0) for m in found):
        raise ValueError("image relationships are not together at the end of document.xml.rels")
    return rels_xml[:start], [(m.group(1), m.group(2), m.group(0)) for m in found], rels_xml[end:]


def shape_ids(document_xml: str) -> list[int]:
    """The drawing ids of the pictures in ``document_xml``, in document order."""
    return [int(m) for m in re.findall(r'<wp:docPr id="(\d+)"', document_xml)]
