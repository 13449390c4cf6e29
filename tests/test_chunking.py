import pytest

from rag.chunking import Chunker, ChunkerConfig, index_text
from rag.documents import Document, Section
from rag.loaders import load_bytes, load_path

from test_loaders import FORMATS


def assert_offsets_exact(document: Document, chunks) -> None:
    assert chunks, document.doc_id
    for chunk in chunks:
        assert document.text[chunk.start:chunk.end] == chunk.text
        assert chunk.text == chunk.text.strip() and chunk.text


@pytest.mark.parametrize("name", sorted(FORMATS))
@pytest.mark.parametrize("size", [100, 500])
def test_every_format_round_trips_offsets(name, size):
    document = load_bytes(FORMATS[name].encode("utf-8"), name)
    assert_offsets_exact(document, Chunker(ChunkerConfig(size=size, overlap=size // 5)).split(document))


def test_prose_chunks_respect_size_overlap_and_sentence_ends():
    sentence = "서울AI재단은 시민 체감형 공공서비스 혁신을 추진한다. "
    document = Document(doc_id="d", title="t", text=(sentence * 40).strip())
    chunks = Chunker(ChunkerConfig(size=200, overlap=60)).split(document)
    assert_offsets_exact(document, chunks)
    assert len(chunks) > 5
    assert all(len(c.text) <= 200 for c in chunks)
    assert all(c.text.endswith("다.") for c in chunks)  # cut between sentences
    assert all(b.start < a.end for a, b in zip(chunks, chunks[1:]))  # neighbours overlap
    assert chunks[0].start == 0 and chunks[-1].end == len(document.text)


def test_statute_chunks_never_span_two_articles_and_carry_sections():
    long_paragraph = "위원회는 다음 사항을 심의한다. " * 12
    text = (
        "시험법\n\n제1장 총칙\n\n제1조(목적) 이 법은 시험을 목적으로 한다.\n\n"
        f"제2조(위원회) ① {long_paragraph.strip()}\n② 위원장은 1명으로 한다.\n③ 임기는 3년으로 한다."
    )
    a1 = text.index("제1조")
    a2 = text.index("제2조")
    p = [text.index(m) for m in "①②③"]
    sections = (
        Section(a1, a2 - 2, "제1조", "제1조", "목적"),
        Section(a2, len(text), "제2조", "제2조", "위원회"),
        Section(p[0], p[1] - 1, "제2조제1항", "제2조", "위원회"),
        Section(p[1], p[2] - 1, "제2조제2항", "제2조", "위원회"),
        Section(p[2], len(text), "제2조제3항", "제2조", "위원회"),
    )
    document = Document(doc_id="law", title="시험법", text=text, kind="statute", sections=sections)
    chunks = Chunker(ChunkerConfig(size=120, overlap=20)).split(document)
    assert_offsets_exact(document, chunks)
    for chunk in chunks:
        assert chunk.section is not None
        owner = [s for s in sections if s.label == s.article and s.start <= chunk.start and chunk.end <= s.end]
        assert len(owner) == 1, chunk  # inside exactly one 조
    first = next(c for c in chunks if c.section == "제1조")
    assert first.section_title == "목적" and first.text.startswith("제1조(목적)")
    assert any(c.section == "제2조제1항" for c in chunks)
    # ② and ③ are short: packed together under the 조 label.
    tail = next(c for c in chunks if "② 위원장" in c.text)
    assert "③" in tail.text and tail.section == "제2조"
    assert index_text(document, tail).startswith("시험법\n제2조(위원회)\n")


def test_index_text_names_title_and_article():
    document = Document(doc_id="d", title="제목", text="본문")
    chunk = Chunker().split(document)[0]
    assert index_text(document, chunk) == "제목\n본문"


def test_real_statutes_round_trip(laws_dir):
    chunker = Chunker()
    for document in load_path(laws_dir):
        chunks = chunker.split(document)
        assert_offsets_exact(document, chunks)
        labels = {c.section for c in chunks}
        assert any(label and label.startswith("제1조") for label in labels), document.doc_id
