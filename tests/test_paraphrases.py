"""The plain-to-formal thesaurus the answerer matches question words with."""

from __future__ import annotations

from rag.lexical import tokenize
from rag.paraphrases import _PLAIN_TO_FORMAL, formal_forms


def test_a_plain_verb_has_its_formal_nouns():
    assert "설립" in formal_forms("세우")
    assert "징수" in formal_forms("거두")


def test_an_unknown_word_has_none():
    assert formal_forms("재단") == ()


def test_every_formal_word_is_one_kiwi_form():
    # A formal word is matched against a sentence's morphemes: one Kiwi splits in two never matches.
    split = [word for words in _PLAIN_TO_FORMAL.values() for word in words if tokenize(word) != [word]]
    assert split == []


def test_no_word_is_its_own_paraphrase():
    assert all(plain not in formal for plain, formal in _PLAIN_TO_FORMAL.items())
