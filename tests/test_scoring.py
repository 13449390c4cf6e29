"""KorQuAD 1.0 normalisation, exact match and character F1, as the official script defines them."""

from __future__ import annotations

import pytest

from rag.scoring import best_over_truths, exact_match, f1, normalize_answer


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("‘서울AI재단’", "서울ai재단"),
        ("《토지》", "토지"),
        ("〈님의 침묵〉", "님의 침묵"),
        ("<개정 2026.1.20>", "개정 2026120"),
        ("(사진=뉴스1)", "사진뉴스1"),
        ('"인공지능"이란', "인공지능 이란"),
        ("Agent AI, 새로운  AI 생태계의 시작", "agent ai 새로운 ai 생태계의 시작"),
        ("  3천만원\t이하 ", "3천만원 이하"),
        ("「행정조사기본법」", "「행정조사기본법」"),  # not in the official symbol list
        ("얼굴ㆍ지문", "얼굴ㆍ지문"),  # not ASCII punctuation
    ],
)
def test_normalisation(raw, normalised):
    assert normalize_answer(raw) == normalised


def test_exact_match_ignores_quotes_case_and_spacing():
    assert exact_match("‘Public AI’", "public AI")
    assert exact_match("300여 명", "300여  명")
    assert not exact_match("300여명", "300여 명")  # KorQuAD keeps spaces inside answers


def test_f1_is_by_characters_without_spaces():
    assert f1("대한상공회의소 국제회의실", "대한상공회의소 국제회의실") == 1.0
    # prediction 7 chars, truth 12 chars, 7 in common: p = 1, r = 7/12
    assert f1("대한상공회의소", "대한상공회의소 국제회의실") == pytest.approx(2 * (7 / 12) / (1 + 7 / 12))
    assert f1("300여명", "300여 명") == 1.0
    assert f1("가나", "다라") == 0.0
    assert f1("", "가") == 0.0


def test_character_counts_are_a_multiset():
    # "aab" vs "ab": common = {a: 1, b: 1} → p = 2/3, r = 1
    assert f1("aab", "ab") == pytest.approx(0.8)


def test_best_over_truths():
    assert best_over_truths(exact_match, "2016", ["2016년", "2016"]) == 1.0
    assert best_over_truths(f1, "2016년", ["2016", "설립"]) == pytest.approx(2 * 0.8 / 1.8)
    assert best_over_truths(exact_match, "x", []) == 0.0
