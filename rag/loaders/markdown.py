"""Markdown (``.md``, ``.markdown``): prose with optional YAML front matter, or a statute.

A file with 조 headings (``##### 제1조 (목적)``, the legalize-kr layout of 법령 and
자치법규) is read as a statute and laid out as :mod:`rag.loaders.statute` prescribes; any
other file is prose, its Markdown marks removed.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any

import frontmatter

from rag.documents import Document, normalize_text
from rag.loaders.metadata import json_safe, optional_str, pop_first
from rag.loaders.source import Source
from rag.loaders.statute import ADDENDUM, Unit, addendum_title, is_note, is_paragraph, layout_line, render_statute

_ARTICLE_HEADING = re.compile(r"^제(\d+)조(?:의(\d+))?\s*(?:\((.*)\))?\s*$")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}(?:\s+(.*?))?(?:\s+#+)?\s*$")
_MD_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_MD_BOLD = re.compile(r"\*\*(.+?)\*\*")
# A 부칙 header line as a whole: ``부칙``, ``부칙 <제9752호, 2025.7.14>``, ``부칙(정부조직법) <…>``.
_ADDENDUM_HEADER = re.compile(r"^부칙\s*(?:\([^)]*\))?\s*(?:<[^>]*>)?$")


def parse_markdown(source: Source) -> Document:
    """A Markdown file as a statute when it has 조 headings, else as prose."""
    text = source.text
    try:
        post = frontmatter.loads(text)
    except Exception as error:  # the YAML library raises many unrelated types
        raise source.fail(f"invalid YAML front matter ({error})") from None
    meta = json_safe(dict(post.metadata))
    # NFC first: headings become 조 titles verbatim, and older statutes write their hanja with
    # CJK compatibility ideographs, which the document's normalised text would not match.
    lines = unicodedata.normalize("NFC", post.content).split("\n")
    if any(_article_heading(line) for line in lines):
        return _markdown_statute(source, meta, lines)
    return _markdown_prose(source, meta, lines)


def _markdown_prose(source: Source, meta: dict[str, Any], lines: list[str]) -> Document:
    text = source.require_text(normalize_text("\n".join(_strip_markdown(line) for line in lines)))
    title = meta.pop("title", None) or _first_heading(lines) or Path(source.filename).stem
    return Document(
        doc_id=source.id_or(meta.pop("id", None)),
        title=normalize_text(str(title)),
        text=text,
        source=optional_str(meta.pop("source", None)),
        date=optional_str(meta.pop("date", None)),
        publisher=optional_str(meta.pop("publisher", None)),
        metadata={**meta, "filename": source.filename},
    )


def _markdown_statute(source: Source, meta: dict[str, Any], lines: list[str]) -> Document:
    units = _markdown_units(lines)
    text, sections = render_statute(units)
    title = (
        pop_first(meta, "제목", "자치법규명", "title") or _first_heading(lines) or Path(source.filename).stem
    )
    date = pop_first(meta, "date") or meta.get("공포일자") or meta.get("시행일자")
    return Document(
        doc_id=source.id_or(meta.pop("id", None)),
        title=normalize_text(str(title)),
        text=source.require_text(text),
        kind="statute",
        source=optional_str(pop_first(meta, "출처", "source")),
        date=optional_str(date),
        publisher=_statute_publisher(meta),
        sections=sections,
        metadata={**meta, "filename": source.filename},
    )


def _strip_markdown(line: str) -> str:
    """A Markdown line as plain text: heading marks, ``**bold**`` and ``\\.`` escapes removed."""
    heading = _MD_HEADING.match(line)
    if heading:
        line = heading.group(1) or ""
    return _MD_ESCAPE.sub(r"\1", _MD_BOLD.sub(r"\1", line))


def _first_heading(lines: list[str]) -> str | None:
    """The text of the first level-one ``# `` heading that is not a 조 heading, if any."""
    for line in lines:
        if line.startswith("# ") and not _article_heading(line):
            title = _strip_markdown(line).strip()
            if title:
                return title
    return None


def _article_heading(line: str) -> re.Match[str] | None:
    """The 조 heading match for a Markdown heading line like ``##### 제1조 (목적)``."""
    heading = _MD_HEADING.match(line)
    return _ARTICLE_HEADING.match(_strip_markdown(heading.group(1) or "").strip()) if heading else None


def _markdown_units(lines: list[str]) -> list[Unit]:
    """Split a statute body into 조, 장/절 heading and 부칙 units in reading order.

    Blank lines carry no structure here (the ordinance layout has none between 항), so
    they are dropped; every unit is re-joined line by line when rendered.
    """
    units: list[Unit] = []
    in_addendum = False
    for raw in lines:
        line = layout_line(_strip_markdown(raw))
        if not line:
            continue
        is_heading = _MD_HEADING.match(raw) is not None
        article = _article_heading(raw)
        if is_heading and _ADDENDUM_HEADER.match(line):
            in_addendum = True
            units.append(Unit([line], ADDENDUM, addendum_title(line)))
        elif in_addendum and _ADDENDUM_HEADER.match(line):
            _start_addendum(units, line)
        elif in_addendum:
            units[-1].lines.append(line)
        elif article:
            units.append(_article_unit(article))
        elif is_heading or not units:
            units.append(Unit([line]))
        else:
            _append_body_line(units[-1], line)
    return units


def _article_unit(match: re.Match[str]) -> Unit:
    """A 조 unit holding only its heading line (``제17조의2(목적)``), from a heading match."""
    number, branch, title = match.groups()
    label = f"제{number}조" + (f"의{branch}" if branch else "")
    title = title.strip() if title and title.strip() else None
    return Unit([f"{label}({title})" if title else label], label, title)


def _start_addendum(units: list[Unit], line: str) -> None:
    """Open a 부칙 unit at a ``부칙 <제…호, …>`` line; it replaces a bare ``## 부칙`` heading."""
    if units[-1].lines == [ADDENDUM]:
        units.pop()
    units.append(Unit([line], ADDENDUM, addendum_title(line)))


def _append_body_line(unit: Unit, line: str) -> None:
    """Add a body line; a 조's opening sentence joins its heading line as in the official text."""
    opens_article = unit.article is not None and len(unit.lines) == 1
    if opens_article and not is_paragraph(line) and not is_note(line) and line == line.lstrip():
        unit.lines[0] = f"{unit.lines[0]} {line}"
    else:
        unit.lines.append(line)


def _statute_publisher(meta: dict[str, Any]) -> str | None:
    """The ministry (법령) or local government (자치법규) responsible for the statute."""
    publisher = meta.pop("publisher", None) or meta.get("소관부처") or meta.get("지자체기관명")
    if isinstance(publisher, list):
        publisher = ", ".join(str(p) for p in publisher)
    return optional_str(publisher)
