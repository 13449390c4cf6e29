"""The one text layout of a statute, whichever format it came in, and its 조/항 sections.

Statutes from law XML and from Markdown are laid out the same way, one block per 조,
장/절 heading or 부칙 unit, blocks separated by a blank line::

    인공지능 발전과 신뢰 기반 조성 등에 관한 기본법

    제1장 총칙

    제1조(목적) 이 법은 …

    제3조(기본원칙 및 국가 등의 책무)
    ① 인공지능기술과 …
      1. 호 (indented two spaces)
        가. 목 (indented four spaces)

    부칙 <제20676호,2025.1.21>
    제1조(시행일) …

The format parsers only cut their input into :class:`Unit` blocks; :func:`render_statute`
joins them and records each 조 and each 항 as a :class:`~rag.documents.Section` whose
offsets index the final normalised text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from rag.documents import Section, normalize_text

ADDENDUM = "부칙"

# Circled numbers ①–⑳, ㉑–㉟, ㊱–㊿ mark 항; unicodedata.numeric() reads their value.
_PARAGRAPH_MARKERS = "".join(
    chr(code) for code in (*range(0x2460, 0x2474), *range(0x3251, 0x3260), *range(0x32B1, 0x32C0))
)
_ITEM = re.compile(r"^\d+(?:의\d+)?\.(?:\s|$)")
_SUBITEM = re.compile(r"^[가나다라마바사아자차카타파하거너더러머버서어저처커터퍼허](?:의\d+)?\.(?:\s|$)")
_NOTE = re.compile(r"^\[.*\]$")
_ADDENDUM_NUMBER = re.compile(r"<\s*(제\s*\d+\s*호)")

_ITEM_INDENT = "  "
_SUBITEM_INDENT = "    "


@dataclass
class Unit:
    """One block of statute text: a 조 (``article`` = its label), a 부칙, or a heading (None)."""

    lines: list[str]
    article: str | None = None
    title: str | None = None


def layout_line(line: str) -> str:
    """A normalised statute line; 호 (``1.``) and 목 (``가.``) indented to show their level."""
    line = normalize_text(line)
    if _ITEM.match(line):
        return _ITEM_INDENT + line
    if _SUBITEM.match(line):
        return _SUBITEM_INDENT + line
    return line


def is_paragraph(line: str) -> bool:
    """Whether ``line`` opens a 항 (starts with a circled number such as ①)."""
    return bool(line) and line[0] in _PARAGRAPH_MARKERS


def is_note(line: str) -> bool:
    """Whether ``line`` is an editorial note such as ``[본조신설 2020. 1. 1.]``."""
    return _NOTE.match(line) is not None


def starts_with_label(text: str, label: str) -> bool:
    """Whether ``text`` opens with ``label`` as a whole word (``제1조`` but not ``제10조``)."""
    return text.startswith(label) and text[len(label) : len(label) + 1] in ("", " ", "(", "<", "\n")


def addendum_title(line: str) -> str | None:
    """``제20676호`` from ``부칙 <제20676호,2025.1.21>``."""
    match = _ADDENDUM_NUMBER.search(line)
    return re.sub(r"\s+", "", match.group(1)) if match else None


def render_statute(units: list[Unit]) -> tuple[str, tuple[Section, ...]]:
    """Join units into the document text and record each 조, 항 and 부칙 span in it."""
    blocks: list[str] = []
    sections: list[Section] = []
    cursor = 0
    for unit in units:
        if not unit.lines:
            continue
        if blocks:
            cursor += 2  # the blank line between blocks
        block = "\n".join(unit.lines)
        if unit.article:
            sections.append(Section(cursor, cursor + len(block), unit.article, unit.article, unit.title))
        if unit.article and unit.article != ADDENDUM:
            sections += _paragraph_sections(unit, cursor)
        blocks.append(block)
        cursor += len(block)
    text = "\n\n".join(blocks)
    _check_statute(text, sections)
    return text, tuple(sections)


def _paragraph_sections(unit: Unit, start: int) -> list[Section]:
    """The 항 of one 조: each runs from its ①… line up to the next 항 or ``[본조신설 …]`` note."""
    sections: list[Section] = []
    open_at: tuple[int, str] | None = None
    end = offset = start
    for line in unit.lines:
        if open_at and (is_paragraph(line) or is_note(line)):
            sections.append(Section(open_at[0], end, open_at[1], unit.article, unit.title))
            open_at = None
        if is_paragraph(line):
            open_at = (offset, f"{unit.article}제{int(unicodedata.numeric(line[0]))}항")
        end = offset + len(line)
        offset = end + 1
    if open_at:
        sections.append(Section(open_at[0], end, open_at[1], unit.article, unit.title))
    return sections


def _check_statute(text: str, sections: list[Section]) -> None:
    """Fail loudly if the text is not normalised or a span does not start with its marker.

    Offsets are computed while the text is assembled; this guards that bookkeeping, since a
    wrong offset would silently cite the wrong 조 later.
    """
    if normalize_text(text) != text:
        raise AssertionError("statute text is not in normalised form")
    for section in sections:
        span = text[section.start : section.end]
        if section.label == section.article:
            ok = starts_with_label(span, section.label)
        else:
            ok = is_paragraph(span) and section.label.endswith(f"제{int(unicodedata.numeric(span[0]))}항")
        if not ok or span != span.strip():
            raise AssertionError(f"section {section.label} at {section.start}-{section.end} spans {span[:30]!r}")
