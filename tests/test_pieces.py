"""The model's sentence pieces (:mod:`rag.embedding.pieces`): the bundled tokenizer.json as one
SentencePiece model per process, checked against HF ``tokenizers`` (the reference, a test extra)."""

from __future__ import annotations

import json
import shutil
import unicodedata
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def model_tokenizer(tmp_path_factory) -> Path:
    """A copy of the bundled tokenizer.json, as a model folder holds it (the pieces model is kept beside it)."""
    from rag.embedding.bundled import bundled_tokenizer_path

    folder = tmp_path_factory.mktemp("model")
    shutil.copyfile(bundled_tokenizer_path(), folder / "tokenizer.json")
    return folder / "tokenizer.json"


def _trimmed(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


_EDGES = ["", " ", "  ", "a", "a ", "  앞뒤 공백  ", "탭\t문자\t", "줄\n바꿈\n", "x \n y", "\u3000전각 공백",
          "①②  ㈜ Ｆｕｌｌ width ", "é composé e\u0301", "…ﬁ 漢字(大統曆) 😀", "query: 재단은 언제 설립되었나?",
          "제27조(인공지능 윤리원칙) ① 정부는 다음 각 호의 사항을 포함하는 인공지능 윤리원칙을 정할 수 있다."]


def test_the_model_pieces_are_the_tokenizers_on_every_line_of_the_corpus(model_tokenizer):
    from tokenizers import Tokenizer

    from rag.embedding.pieces import shared_pieces

    reference = Tokenizer.from_file(str(model_tokenizer))
    pieces = shared_pieces(model_tokenizer)
    lines = [line for path in sorted(Path("corpus").rglob("*.md")) for line in path.read_text(encoding="utf-8").split("\n")]
    assert len(lines) > 5000
    for text in _EDGES + lines:
        expected = reference.encode(text, add_special_tokens=False)
        ids, offsets = pieces.encode(text)
        assert ids == expected.ids, text
        assert all(0 <= a <= b <= len(text) for a, b in offsets) and offsets == sorted(offsets), text
        if unicodedata.normalize("NFKC", text) == text:
            # Both cover the same characters, apart from a lone leading "▁", which tokenizers
            # stretches over the first character and sentencepiece keeps empty. (Where the
            # normaliser expands a character, ㈜ -> (주), each aligns the parts its own way.)
            assert [_trimmed(text, *o) for o in offsets] == [
                None if piece == "\u2581" else _trimmed(text, *o) for piece, o in zip(expected.tokens, expected.offsets)], text


def test_the_pieces_are_one_instance_kept_beside_the_tokenizer_and_truncate_as_the_tokenizer_would(model_tokenizer):
    from tokenizers import Tokenizer

    from rag.embedding.pieces import shared_pieces, truncate

    shared = shared_pieces(model_tokenizer)
    assert shared_pieces(Path(str(model_tokenizer))) is shared  # one instance per file and process
    assert len(list(model_tokenizer.parent.glob("pieces-*.model"))) == 1
    own = Tokenizer.from_file(str(model_tokenizer))
    own.enable_truncation(512)
    long = "query: " + "개인정보처리자는 정보주체의 동의를 받아야 한다. " * 200
    uncut = shared.ids([long])[0]
    assert len(uncut) > 512  # the shared instance cuts nothing itself
    assert truncate(uncut, 512) == own.encode(long).ids
    short = "query: 재단은 언제 설립되었나?"
    assert shared.ids([short]) == [own.encode(short).ids]
    assert shared.pad_id == own.token_to_id("<pad>")


def test_the_pieces_model_is_converted_again_where_it_cannot_be_kept(model_tokenizer, tmp_path, monkeypatch):
    import tempfile

    from rag.embedding.pieces import keep_sentencepiece_model, sentencepiece_model

    copy = tmp_path / "tokenizer.json"
    shutil.copyfile(model_tokenizer, copy)

    def read_only(*args, **kwargs):
        raise PermissionError("read-only folder")

    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    model = keep_sentencepiece_model(copy)
    assert not list(tmp_path.glob("pieces-*.model")) and not list(tmp_path.glob(".pieces-*"))
    assert model == sentencepiece_model(copy)  # the same conversion, only not kept


def test_a_tokenizer_of_another_form_is_refused(tmp_path):
    from rag.embedding.pieces import sentencepiece_model

    path = tmp_path / "tokenizer.json"
    path.write_text(json.dumps({"model": {"type": "WordPiece", "vocab": {"[UNK]": 0}}, "normalizer": None}))
    with pytest.raises(ValueError, match="not an XLM-R style Unigram tokenizer"):
        sentencepiece_model(path)
