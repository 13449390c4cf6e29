"""Text normalisation, ids and the Document record that every offset depends on."""

from __future__ import annotations

import random
import unicodedata

import pytest

from rag.documents import Document, Section, normalize_text, slugify

DECOMPOSED = unicodedata.normalize("NFD", "인공지능 기본법")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (DECOMPOSED, "인공지능 기본법"),
        ("첫 줄\r\n둘째 줄\r셋째 줄", "첫 줄\n둘째 줄\n셋째 줄"),
        ("가\n\n\n\n나\n\n\n다", "가\n\n나\n\n다"),
        ("끝 공백   \n탭\t\n전각\u3000\n다음", "끝 공백\n탭\n전각\n다음"),
        ("\ufeff  앞뒤 공백  \n\n", "앞뒤 공백"),
        ("  들여쓰기는\n  유지", "들여쓰기는\n  유지"),
        ("", ""),
    ],
    ids=["nfc-from-jamo", "crlf-and-cr", "blank-runs", "trailing-space", "bom-and-strip", "indent-kept", "empty"],
)
def test_normalize_text(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [DECOMPOSED + "\r\n\r\n\r\n끝  ", "a \n\n\n b\t\r\n", "\ufeff제1조(목적)\n① 항\n\n\n\n부칙"],
)
def test_normalize_text_is_idempotent(raw: str) -> None:
    once = normalize_text(raw)
    assert normalize_text(once) == once


def test_normalized_decomposed_hangul_equals_precomposed() -> None:
    assert DECOMPOSED != "인공지능 기본법"
    assert normalize_text(DECOMPOSED) == normalize_text("인공지능 기본법")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ai_basic_act", "ai-basic-act"),
        ("서울 조례", "서울-조례"),
        ("Seoul AI.Foundation", "seoul-ai-foundation"),
        (unicodedata.normalize("NFD", "서울 조례"), "서울-조례"),
        ("  --rules (2025)!--  ", "rules-2025"),
        ("???", "document"),
        ("", "document"),
    ],
)
def test_slugify(name: str, expected: str) -> None:
    assert slugify(name) == expected


def test_slugify_is_stable() -> None:
    assert slugify(slugify("인공지능 기본법_시행령")) == slugify("인공지능 기본법_시행령")


def _statute() -> Document:
    text = "제1조(목적) 목적.\n\n제2조(위원회)\n① 첫째 항.\n② 둘째 항."
    article = text.index("제2조")
    first, second = text.index("①"), text.index("②")
    return Document(
        doc_id="law",
        title="법",
        text=text,
        kind="statute",
        sections=(
            Section(0, text.index("\n"), "제1조", "제1조", "목적"),
            Section(article, len(text), "제2조", "제2조", "위원회"),
            Section(first, second - 1, "제2조제1항", "제2조", "위원회"),
            Section(second, len(text), "제2조제2항", "제2조", "위원회"),
        ),
        metadata={"filename": "law.md"},
    )


@pytest.mark.parametrize(
    ("marker", "label"),
    [("목적", "제1조"), ("제2조(", "제2조"), ("첫째", "제2조제1항"), ("둘째", "제2조제2항")],
)
def test_section_at_returns_innermost(marker: str, label: str) -> None:
    document = _statute()
    assert document.section_at(document.text.index(marker)).label == label


def test_section_at_outside_sections_is_none() -> None:
    document = _statute()
    assert document.section_at(document.text.index("\n\n") + 1) is None


def test_section_at_is_the_shortest_covering_section_at_every_offset() -> None:
    """Against the definition, on nested, overlapping, equal, empty and touching sections."""
    rng = random.Random(7)
    for _ in range(200):
        sections = []
        for n in range(rng.randint(0, 12)):
            start = rng.randint(0, 40)
            sections.append(Section(start, start + rng.choice([0, 1, 3, 5, 5, 12, 30]), f"s{n}", f"a{n}"))
        document = Document("d", "d", "x" * 80, sections=tuple(sections))
        for offset in range(-1, 82):
            covering = [s for s in sections if s.start <= offset < s.end]
            expected = min(covering, key=lambda s: s.end - s.start) if covering else None  # min keeps the first of equals
            assert document.section_at(offset) is expected, (sections, offset)


def test_articles_span_their_sections_and_leave_the_supplement_out() -> None:
    law = _statute()
    text = law.text + "\n\n부칙\n제1조(시행일) 공포한 날부터 시행한다."
    supplement = text.index("부칙")
    law = Document(doc_id="law", title="법", text=text, kind="statute", sections=law.sections + (
        Section(supplement, len(text), "부칙", "부칙", None),
        Section(text.index("제1조(시행일)"), len(text), "부칙제1조", "제1조", "시행일")))
    assert law.articles == {"제1조": (0, law.text.index("\n")), "제2조": (law.text.index("제2조"), supplement - 2)}


def test_document_dict_round_trip() -> None:
    document = _statute()
    restored = Document.from_dict(document.to_dict())
    assert restored == document
    assert restored.content_hash == document.content_hash


def test_content_hash_depends_on_title_and_text_only() -> None:
    document = _statute()
    same = Document(doc_id="other", title=document.title, text=document.text)
    retitled = Document(doc_id="law", title="다른 법", text=document.text)
    assert same.content_hash == document.content_hash
    assert retitled.content_hash != document.content_hash
