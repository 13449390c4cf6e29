"""국가법령정보센터 law XML (``.xml`` with a ``<법령>`` root) as a statute document.

The 조문, 항, 호 and 목 elements are laid out as :mod:`rag.loaders.statute` prescribes. The
개정문 and 제개정이유 are left out: they describe an amendment rather than state the law,
and quote amended 조 that would be mistaken for the real ones.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lxml import etree

from rag.documents import Document, normalize_text
from rag.loaders.metadata import iso_date
from rag.loaders.source import Source, UnsupportedFormatError
from rag.loaders.statute import ADDENDUM, Unit, addendum_title, layout_line, render_statute, starts_with_label


def parse_law_xml(source: Source) -> Document:
    """A law XML file as a statute document; any other XML schema is unsupported."""
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
    units = [Unit([layout_line(title)])]
    units += [_xml_article_unit(element) for element in root.iterfind("조문/조문단위")]
    units += [_xml_addendum_unit(element) for element in root.iterfind("부칙/부칙단위")]
    text, sections = render_statute(units)
    meta = _xml_metadata(info)
    return Document(
        doc_id=source.id_or(),
        title=normalize_text(title),
        text=source.require_text(text),
        kind="statute",
        date=meta.get("공포일자") or meta.get("시행일자"),
        publisher=meta.get("소관부처"),
        sections=sections,
        metadata={**meta, "filename": source.filename},
    )


def _xml_article_unit(element: Any) -> Unit:
    """One ``<조문단위>``: a 장/절 heading (조문여부 전문) or a 조 with its 항, 호 and 목."""
    lines = _content_lines(_xml_text(element, "조문내용"))
    if _xml_text(element, "조문여부") == "전문":
        return Unit(lines)
    number, branch = _xml_text(element, "조문번호"), _xml_text(element, "조문가지번호")
    label = f"제{number}조" + (f"의{branch}" if branch and branch != "0" else "")
    title = _xml_text(element, "조문제목") or None
    heading = f"{label}({title})" if title else label
    if not lines or not starts_with_label(lines[0], label):
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
    return Unit(lines, label, title)


def _xml_addendum_unit(element: Any) -> Unit:
    """One ``<부칙단위>``, titled by its promulgation number (``제20676호``)."""
    lines = _content_lines(_xml_text(element, "부칙내용"))
    if not lines or not starts_with_label(lines[0], ADDENDUM):
        lines.insert(0, ADDENDUM)
    return Unit(lines, ADDENDUM, addendum_title(lines[0]))


def _xml_metadata(info: Any) -> dict[str, Any]:
    """The scalar fields of ``<기본정보>``, with compact dates (``20260120``) made ISO."""
    if info is None:
        return {}
    meta = {}
    for child in info:
        if isinstance(child.tag, str) and len(child) == 0 and (child.text or "").strip():
            meta[child.tag] = iso_date(child.text.strip())
    return meta


def _xml_text(element: Any, path: str) -> str:
    """Stripped text of the child at ``path`` (all CDATA pieces joined), or ``""``."""
    child = element.find(path) if element is not None else None
    return "".join(child.itertext()).strip() if child is not None else ""


def _content_lines(content: str) -> list[str]:
    """Non-empty laid-out lines of one XML content field."""
    return [line for line in map(layout_line, normalize_text(content).split("\n")) if line]
