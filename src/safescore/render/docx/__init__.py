"""The bulletin (通报) and per-unit letters (反馈单) as Word documents, laid out to GB/T 9704-2012.

Modules, one concept each:

- :mod:`.styles`: GB/T 9704 measures and the paragraph styles (fonts, sizes, line pitch);
- :mod:`.page`: the document to build on (default or a user's template), page set-up, page numbers;
- :mod:`.blocks`: paragraphs, tables and the cleaning of untrusted text;
- :mod:`.tags`: ``{{ tag }}`` filling and the ``{{ content }}`` marker of user templates;
- :mod:`.package`: reproducible zipping (fixed dates, fixed order);
- :mod:`.bulletin`: the bulletin's body and appendices;
- :mod:`.letters`: what a letter says, built with python-docx (the reference);
- :mod:`.fast`: hundreds of letters from one prototype.

Templates. ``template`` is any .docx: the document is built on it (``Document(template)``), so
its page set-up, headers, footers and styles are used; styles it lacks are added under the names
in ``docs/word-templates.md``. Its body is replaced, unless a paragraph holds only
``{{ content }}``: then its body stays, the generated text goes in place of that paragraph and
``{{ issuer }}``-style tags anywhere (body, headers, footers) are filled in. A file that is not a
usable .docx raises :class:`TemplateError` (a ValueError with a Chinese message for the user).
"""

from __future__ import annotations

from safescore.render.docx.bulletin import build_bulletin_document, render_bulletin_docx
from safescore.render.docx.fast import (
    LetterRenderer,
    letter_filename,
    render_letter_docx,
    render_letters_docx,
)
from safescore.render.docx.letters import LETTER_HEADING, build_letter_document
from safescore.render.docx.page import check_template
from safescore.render.docx.styles import TemplateError
from safescore.render.i18n import cn_number

__all__ = [
    "LETTER_HEADING",
    "LetterRenderer",
    "TemplateError",
    "build_bulletin_document",
    "build_letter_document",
    "check_template",
    "cn_number",
    "letter_filename",
    "render_bulletin_docx",
    "render_letter_docx",
    "render_letters_docx",
]
