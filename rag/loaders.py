"""Read source files into :class:`~rag.documents.Document` records.

Supported formats:

* ``.txt`` — plain text; the first non-empty line is the title.
* ``.md`` / ``.markdown`` — prose with optional YAML front matter, or a statute in the
  legalize-kr layout (``##### 제1조 (목적)`` headings), detected by its 조 headings.
* ``.html`` / ``.htm`` — visible text only; block elements become line breaks.
* ``.xml`` — 국가법령정보센터 law XML (``<법령>`` root).

Statutes from either source are laid out the same way, one block per 조, 장/절 heading
or 부칙 unit, blocks separated by a blank line::

    인공지능 발전과 신뢰 기반 조성 등에 관한 기본법

    제1장 총칙

    제1조(목적) 이 법은 …

    제3조(기본원칙 및 국가 등의 책무)
    ① 인공지능기술과 …
      1. 호 (indented two spaces)
        가. 목 (indented four spaces)

    부칙 <제20676호,2025.1.21>
    제1조(시행일) …

Each 조 and each 항 becomes a :class:`~rag.documents.Section` whose offsets index the
final normalised text. The 개정문 and 제개정이유 of law XML are left out: they describe
an amendment rather than state the law, and quote amended 조 that would be mistaken
for the real ones.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path, PureWindowsPath
from typing import Any, Callable, Iterable

import frontmatter
import lxml.html
from lxml import etree

from rag.documents import Document, Section, normalize_text, slugify

SUPPORTED_EXTENSIONS = (".txt", ".md", ".markdown", ".html", ".htm", ".xml")

ADDENDUM = "부칙"

# Circled numbers ①–⑳, ㉑–㉟, ㊱–㊿ mark 항; unicodedata.numeric() reads their value.
_PARAGRAPH_MARKERS = "".join(
    chr(code) for code in (*range(0x2460, 0x2474), *range(0x3251, 0x3260), *range(0x32B1, 0x32C0))
)
_ARTICLE_HEADING = re.compile(r"^제(\d+)조(?:의(\d+))?\s*(?:\((.*)\))?\s*$")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}(?:\s+(.*?))?(?:\s+#+)?\s*$")
_MD_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_MD_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ITEM = re.compile(r"^\d+(?:의\d+)?\.(?:\s|$)")
_SUBITEM = re.compile(r"^[가나다라마바사아자차카타파하거너더러머버서어저처커터퍼허](?:의\d+)?\.(?:\s|$)")
_NOTE = re.compile(r"^\[.*\]$")
# A 부칙 header line as a whole: ``부칙``, ``부칙 <제9752호, 2025.7.14>``, ``부칙(정부조직법) <…>``.
_ADDENDUM_HEADER = re.compile(r"^부칙\s*(?:\([^)]*\))?\s*(?:<[^>]*>)?$")
_ADDENDUM_NUMBER = re.compile(r"<\s*(제\s*\d+\s*호)")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")

_ITEM_INDENT = "  "
_SUBITEM_INDENT = "    "

_HTML_DROP = ("script", "style", "nav", "header", "footer", "aside", "noscript", "template", "iframe", "svg", "form")
# Paragraph-level elements are set off by a blank line, line-level ones start a new line,
# table cells are separated by a space: the layout a reader sees, and the paragraph
# breaks the chunker splits on.
_HTML_PARAGRAPHS = frozenset(
    "address article blockquote details dialog div dl fieldset figcaption figure h1 h2 h3 h4 h5 h6 hr "
    "main ol p pre section table ul".split()
)
_HTML_LINES = frozenset("br caption dd dt li summary tr".split())
_HTML_CELLS = frozenset(("td", "th"))
_HTML_PARSER = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
_WHITESPACE_RUN = re.compile(r"[ \t\r\n\f\v]+")


class LoaderError(ValueError):
    """A file that cannot be turned into a document; the message says which and why."""


class UnsupportedFormatError(LoaderError):
    """The file's extension (or, for XML, its schema) is not one this loader reads."""


class DocumentDecodeError(LoaderError):
    """The file is not valid UTF-8."""


class DocumentParseError(LoaderError):
    """The file has the right extension but its content is malformed or empty."""


# ---------------------------------------------------------------------------
# public API


def iter_files(paths: Iterable[Path | str]) -> list[Path]:
    """Every file that ``paths`` names, folders expanded recursively, in a stable order.

    Used before loading so a progress bar knows the total. Inside folders, hidden files
    and folders and unsupported extensions are skipped silently; a file named explicitly
    must exist and have a supported extension, otherwise this raises
    :class:`FileNotFoundError` or :class:`UnsupportedFormatError` before any work is done.
    """
    found: dict[Path, None] = {}
    for path in map(Path, paths):
        if path.is_dir():
            found.update(dict.fromkeys(_folder_files(path)))
        elif path.is_file():
            _check_extension(path.name)
            found[path] = None
        else:
            raise FileNotFoundError(f"no such file or folder: {path}")
    return list(found)


def load_path(path: Path | str) -> list[Document]:
    """Load one file, or every supported file under a folder (see :func:`iter_files`)."""
    return [load_file(file) for file in iter_files([path])]


def load_file(path: Path | str) -> Document:
    """Load one file; its id is the front-matter ``id`` if any, else the slug of its name."""
    path = Path(path)
    _check_extension(path.name)
    return load_bytes(path.read_bytes(), path.name)


def load_bytes(data: bytes, filename: str, doc_id: str | None = None) -> Document:
    """Load a document from raw bytes, e.g. an HTTP upload; ``filename`` picks the format.

    ``doc_id`` overrides the id found in front matter or derived from ``filename``.
    Raises :class:`UnsupportedFormatError` for an unknown extension,
    :class:`DocumentDecodeError` for bytes that are not UTF-8 and
    :class:`DocumentParseError` for malformed or empty content.
    """
    # Uploads may carry a client-side path with either separator; only the name counts.
    name = PureWindowsPath(filename).name
    parser = _PARSERS[_check_extension(name)]
    return parser(_Source(name, data, doc_id))


# ---------------------------------------------------------------------------
# files and sources


def _check_extension(name: str) -> str:
    """The lower-cased extension of ``name``, or UnsupportedFormatError naming the choices."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_EXTENSIONS:
        raise UnsupportedFormatError(
            f"unsupported file type {suffix or '(no extension)'!r} for {name!r}; "
            f"supported: {', '.join(SUPPORTED_EXTENSIONS)}"
        )
    return suffix


def _folder_files(folder: Path) -> list[Path]:
    """Supported, non-hidden files below ``folder``, sorted by path."""
    return sorted(
        path
        for path in folder.rglob("*")
        if path.is_file()
        and path.suffix.lower() in SUPPORTED_EXTENSIONS
        and not any(part.startswith(".") for part in path.relative_to(folder).parts)
    )


@dataclass
class _Source:
    """The bytes of one file, its name and the caller's id, if any; text is decoded once."""

    filename: str
    data: bytes
    doc_id: str | None = None

    @cached_property
    def text(self) -> str:
        try:
            return self.data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise DocumentDecodeError(
                f"{self.filename!r} is not valid UTF-8 (byte {error.start}); save it as UTF-8 and try again"
            ) from None

    def id_or(self, declared: Any = None) -> str:
        """The explicit id, else the one the file declares, else the slug of the file name."""
        if self.doc_id:
            return self.doc_id
        if declared is not None and str(declared).strip():
            return str(declared).strip()
        return slugify(Path(self.filename).stem)

    def fail(self, reason: str) -> DocumentParseError:
        return DocumentParseError(f"cannot read {self.filename!r}: {reason}")


def _require_text(source: _Source, text: str) -> str:
    if not text:
        raise source.fail("it contains no text")
    return text


# ---------------------------------------------------------------------------
# plain text and HTML


def _parse_text(source: _Source) -> Document:
    text = _require_text(source, normalize_text(source.text))
    return Document(
        doc_id=source.id_or(), title=text.split("\n", 1)[0].strip(), text=text,
        metadata={"filename": source.filename},
    )


def _parse_html(source: _Source) -> Document:
    try:
        # Bytes plus an explicit encoding: lxml rejects str input that carries an XML
        # declaration (XHTML), and would guess a wrong codec from bytes alone.
        root = lxml.html.document_fromstring(source.text.encode("utf-8"), parser=_HTML_PARSER)
    except (etree.ParserError, ValueError) as error:
        raise source.fail(f"invalid HTML ({error})") from None
    title = _html_title(root)
    for element in root.xpath("//head | " + " | ".join(f"//{tag}" for tag in _HTML_DROP)):
        element.drop_tree()
    text = _require_text(source, _html_visible_text(root))
    return Document(
        doc_id=source.id_or(), title=title or Path(source.filename).stem, text=text,
        metadata={"filename": source.filename},
    )


def _html_title(root: Any) -> str:
    """The ``<title>``, else the first ``<h1>``, with whitespace collapsed."""
    for xpath in ("//title", "//h1"):
        for element in root.xpath(xpath):
            title = _WHITESPACE_RUN.sub(" ", element.text_content()).strip()
            if title:
                return normalize_text(title)
    return ""


def _html_visible_text(root: Any) -> str:
    """Text as a browser lays it out: source whitespace collapsed, blocks on their own lines."""
    for element in root.iter(etree.Element):
        element.text = _WHITESPACE_RUN.sub(" ", element.text) if element.text else element.text
        element.tail = _WHITESPACE_RUN.sub(" ", element.tail) if element.tail else element.tail
    for element in root.iter(etree.Element):
        if element.tag in _HTML_PARAGRAPHS:
            element.text = "\n\n" + (element.text or "")
            element.tail = "\n\n" + (element.tail or "")
        elif element.tag in _HTML_LINES:
            element.text = "\n" + (element.text or "")
        elif element.tag in _HTML_CELLS:
            element.tail = " " + (element.tail or "")
    lines = (line.strip() for line in root.text_content().split("\n"))
    return normalize_text("\n".join(lines))


# ---------------------------------------------------------------------------
# Markdown


def _parse_markdown(source: _Source) -> Document:
    text = source.text
    try:
        post = frontmatter.loads(text)
    except Exception as error:  # the YAML library raises many unrelated types
        raise source.fail(f"invalid YAML front matter ({error})") from None
    meta = _json_safe(dict(post.metadata))
    lines = post.content.split("\n")
    if any(_article_heading(line) for line in lines):
        return _markdown_statute(source, meta, lines)
    return _markdown_prose(source, meta, lines)


def _markdown_prose(source: _Source, meta: dict[str, Any], lines: list[str]) -> Document:
    text = _require_text(source, normalize_text("\n".join(_strip_markdown(line) for line in lines)))
    title = meta.pop("title", None) or _first_heading(lines) or Path(source.filename).stem
    return Document(
        doc_id=source.id_or(meta.pop("id", None)),
        title=normalize_text(str(title)),
        text=text,
        source=_optional_str(meta.pop("source", None)),
        date=_optional_str(meta.pop("date", None)),
        publisher=_optional_str(meta.pop("publisher", None)),
        metadata={**meta, "filename": source.filename},
    )


def _markdown_statute(source: _Source, meta: dict[str, Any], lines: list[str]) -> Document:
    units = _markdown_units(lines)
    text, sections = _render_statute(units)
    title = (
        _pop_first(meta, "제목", "자치법규명", "title") or _first_heading(lines) or Path(source.filename).stem
    )
    date = _pop_first(meta, "date") or meta.get("공포일자") or meta.get("시행일자")
    return Document(
        doc_id=source.id_or(meta.pop("id", None)),
        title=normalize_text(str(title)),
        text=_require_text(source, text),
        kind="statute",
        source=_optional_str(_pop_first(meta, "출처", "source")),
        date=_optional_str(date),
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


def _markdown_units(lines: list[str]) -> list[_Unit]:
    """Split a statute body into 조, 장/절 heading and 부칙 units in reading order.

    Blank lines carry no structure here (the ordinance layout has none between 항), so
    they are dropped; every unit is re-joined line by line when rendered.
    """
    units: list[_Unit] = []
    in_addendum = False
    for raw in lines:
        line = _layout_line(_strip_markdown(raw))
        if not line:
            continue
        is_heading = _MD_HEADING.match(raw) is not None
        article = _article_heading(raw)
        if is_heading and _ADDENDUM_HEADER.match(line):
            in_addendum = True
            units.append(_Unit([line], ADDENDUM, _addendum_title(line)))
        elif in_addendum and _ADDENDUM_HEADER.match(line):
            _start_addendum(units, line)
        elif in_addendum:
            units[-1].lines.append(line)
        elif article:
            units.append(_article_unit(article))
        elif is_heading or not units:
            units.append(_Unit([line]))
        else:
            _append_body_line(units[-1], line)
    return units


def _article_unit(match: re.Match[str]) -> _Unit:
    """A 조 unit holding only its heading line (``제17조의2(목적)``), from a heading match."""
    number, branch, title = match.groups()
    label = f"제{number}조" + (f"의{branch}" if branch else "")
    title = title.strip() if title and title.strip() else None
    return _Unit([f"{label}({title})" if title else label], label, title)


def _start_addendum(units: list[_Unit], line: str) -> None:
    """Open a 부칙 unit at a ``부칙 <제…호, …>`` line; it replaces a bare ``## 부칙`` heading."""
    if units[-1].lines == [ADDENDUM]:
        units.pop()
    units.append(_Unit([line], ADDENDUM, _addendum_title(line)))


def _append_body_line(unit: _Unit, line: str) -> None:
    """Add a body line; a 조's opening sentence joins its heading line as in the official text."""
    opens_article = unit.article is not None and len(unit.lines) == 1
    if opens_article and not _is_paragraph(line) and not _NOTE.match(line) and line == line.lstrip():
        unit.lines[0] = f"{unit.lines[0]} {line}"
    else:
        unit.lines.append(line)


def _statute_publisher(meta: dict[str, Any]) -> str | None:
    """The ministry (법령) or local government (자치법규) responsible for the statute."""
    publisher = meta.pop("publisher", None) or meta.get("소관부처") or meta.get("지자체기관명")
    if isinstance(publisher, list):
        publisher = ", ".join(str(p) for p in publisher)
    return _optional_str(publisher)


# ---------------------------------------------------------------------------
# 국가법령정보센터 law XML


def _parse_law_xml(source: _Source) -> Document:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        # Decoding first gives non-UTF-8 files the same error as every other format.
        root = etree.fromstring(source.text.encode("utf-8"), parser)
    except etree.XMLSyntaxError as error:
        raise source.fail(f"invalid XML ({error})") from None
    if root.tag != "법령":
        raise UnsupportedFormatError(
            f"{source.filename!r}: only 국가법령정보센터 law XML (root <법령>) is supported, "
            f"found <{root.tag}>"
        )
    info = root.find("기본정보")
    title = _xml_text(info, "법령명_한글") or Path(source.filename).stem
    units = [_Unit([_layout_line(title)])]
    units += [_xml_article_unit(element) for element in root.iterfind("조문/조문단위")]
    units += [_xml_addendum_unit(element) for element in root.iterfind("부칙/부칙단위")]
    text, sections = _render_statute(units)
    meta = _xml_metadata(info)
    return Document(
        doc_id=source.id_or(),
        title=normalize_text(title),
        text=_require_text(source, text),
        kind="statute",
        date=meta.get("공포일자") or meta.get("시행일자"),
        publisher=meta.get("소관부처"),
        sections=sections,
        metadata={**meta, "filename": source.filename},
    )


def _xml_article_unit(element: Any) -> _Unit:
    """One ``<조문단위>``: a 장/절 heading (조문여부 전문) or a 조 with its 항, 호 and 목."""
    lines = _content_lines(_xml_text(element, "조문내용"))
    if _xml_text(element, "조문여부") == "전문":
        return _Unit(lines)
    number, branch = _xml_text(element, "조문번호"), _xml_text(element, "조문가지번호")
    label = f"제{number}조" + (f"의{branch}" if branch and branch != "0" else "")
    title = _xml_text(element, "조문제목") or None
    heading = f"{label}({title})" if title else label
    if not lines or not _starts_with_label(lines[0], label):
        lines.insert(0, heading)
    for paragraph in element.iterfind("항"):
        marker, content = _xml_text(paragraph, "항번호"), _xml_text(paragraph, "항내용")
        if content and marker and not content.startswith(marker):
            content = f"{marker} {content}"
        lines += _content_lines(content)
        for item in paragraph.iterfind("호"):
            lines += _content_lines(_xml_text(item, "호내용"))
            for subitem in item.iterfind("목"):
                lines += _content_lines(_xml_text(subitem, "목내용"))
    lines += _content_lines(_xml_text(element, "조문참고자료"))
    return _Unit(lines, label, title)


def _xml_addendum_unit(element: Any) -> _Unit:
    """One ``<부칙단위>``, titled by its promulgation number (``제20676호``)."""
    lines = _content_lines(_xml_text(element, "부칙내용"))
    if not lines or not _starts_with_label(lines[0], ADDENDUM):
        lines.insert(0, ADDENDUM)
    return _Unit(lines, ADDENDUM, _addendum_title(lines[0]))


def _xml_metadata(info: Any) -> dict[str, Any]:
    """The scalar fields of ``<기본정보>``, with compact dates (``20260120``) made ISO."""
    if info is None:
        return {}
    meta = {}
    for child in info:
        if isinstance(child.tag, str) and len(child) == 0 and (child.text or "").strip():
            meta[child.tag] = _iso_date(child.text.strip())
    return meta


def _xml_text(element: Any, path: str) -> str:
    """Stripped text of the child at ``path`` (all CDATA pieces joined), or ``""``."""
    child = element.find(path) if element is not None else None
    return "".join(child.itertext()).strip() if child is not None else ""


# ---------------------------------------------------------------------------
# statute layout shared by Markdown and XML


@dataclass
class _Unit:
    """One block of statute text: a 조 (``article`` = its label), a 부칙, or a heading (None)."""

    lines: list[str]
    article: str | None = None
    title: str | None = None


def _content_lines(content: str) -> list[str]:
    """Non-empty laid-out lines of one XML content field."""
    return [line for line in map(_layout_line, normalize_text(content).split("\n")) if line]


def _layout_line(line: str) -> str:
    """A normalised statute line; 호 (``1.``) and 목 (``가.``) indented to show their level."""
    line = normalize_text(line)
    if _ITEM.match(line):
        return _ITEM_INDENT + line
    if _SUBITEM.match(line):
        return _SUBITEM_INDENT + line
    return line


def _is_paragraph(line: str) -> bool:
    return bool(line) and line[0] in _PARAGRAPH_MARKERS


def _starts_with_label(text: str, label: str) -> bool:
    """Whether ``text`` opens with ``label`` as a whole word (``제1조`` but not ``제10조``)."""
    return text.startswith(label) and text[len(label) : len(label) + 1] in ("", " ", "(", "<", "\n")


def _addendum_title(line: str) -> str | None:
    """``제20676호`` from ``부칙 <제20676호,2025.1.21>``."""
    match = _ADDENDUM_NUMBER.search(line)
    return re.sub(r"\s+", "", match.group(1)) if match else None


def _render_statute(units: list[_Unit]) -> tuple[str, tuple[Section, ...]]:
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


def _paragraph_sections(unit: _Unit, start: int) -> list[Section]:
    """The 항 of one 조: each runs from its ①… line up to the next 항 or ``[본조신설 …]`` note."""
    sections: list[Section] = []
    open_at: tuple[int, str] | None = None
    end = offset = start
    for line in unit.lines:
        if open_at and (_is_paragraph(line) or _NOTE.match(line)):
            sections.append(Section(open_at[0], end, open_at[1], unit.article, unit.title))
            open_at = None
        if _is_paragraph(line):
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
            ok = _starts_with_label(span, section.label)
        else:
            ok = _is_paragraph(span) and section.label.endswith(f"제{int(unicodedata.numeric(span[0]))}항")
        if not ok or span != span.strip():
            raise AssertionError(f"section {section.label} at {section.start}-{section.end} spans {span[:30]!r}")


# ---------------------------------------------------------------------------
# metadata values


def _json_safe(value: Any) -> Any:
    """Front-matter values as JSON types: dates become ISO strings, containers recurse."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(item) for item in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _iso_date(value: str) -> str:
    """``20260120`` → ``2026-01-20``; anything else unchanged."""
    match = _COMPACT_DATE.match(value)
    return "-".join(match.groups()) if match else value


def _optional_str(value: Any) -> str | None:
    return _iso_date(str(value).strip()) if value is not None and str(value).strip() else None


def _pop_first(meta: dict[str, Any], *keys: str) -> Any:
    """Remove ``keys`` from ``meta`` and return the first non-empty value among them."""
    values = [meta.pop(key, None) for key in keys]
    return next((value for value in values if value not in (None, "")), None)


_PARSERS: dict[str, Callable[[_Source], Document]] = {
    ".txt": _parse_text,
    ".md": _parse_markdown,
    ".markdown": _parse_markdown,
    ".html": _parse_html,
    ".htm": _parse_html,
    ".xml": _parse_law_xml,
}
