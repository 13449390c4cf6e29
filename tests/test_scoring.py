"""KorQuAD 1.0 normalisation, exact match and character F1, as the official script defines them."""

from __future__ import annotations

import warnings

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


def _official_script():
    """The official KorQuAD 1.0 evaluation script from ../shared, imported as a module."""
    import importlib.util

    from conftest import shared_dir

    path = shared_dir() / "data" / "korquad" / "evaluate-v1.0.py"
    if not path.exists():
        pytest.skip(f"the official KorQuAD script is not at {path}; set RAG_SHARED_DIR to the shared data folder")
    spec = importlib.util.spec_from_file_location("korquad_official", path)
    module = importlib.util.module_from_spec(spec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the script's own regex escapes
        spec.loader.exec_module(module)
    return module, path.parent / "KorQuAD_v1.0_dev.json"


def _predictions(truth: str) -> list[str]:
    """Predictions around a gold answer: itself, cut, extended, re-spaced, quoted, punctuated, unrelated."""
    return [truth, truth[1:], truth[:-1], truth + "이다", "‘" + truth + "’", f"({truth})", " ".join(truth),
            truth.replace(" ", ""), truth.upper(), truth + ".", "《" + truth, "전혀 다른 답", ""]


def test_scores_agree_with_the_official_script_on_its_own_data():
    import json

    official, data_path = _official_script()
    data = json.loads(data_path.read_text(encoding="utf-8"))["data"]
    pairs = 0
    for article in data[:20]:
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                truths = [a["text"] for a in qa["answers"]]
                for prediction in _predictions(truths[0]):
                    assert best_over_truths(exact_match, prediction, truths) == float(
                        official.metric_max_over_ground_truths(official.exact_match_score, prediction, truths))
                    assert best_over_truths(f1, prediction, truths) == pytest.approx(
                        official.metric_max_over_ground_truths(official.f1_score, prediction, truths), abs=1e-12)
                    pairs += 1
    assert pairs > 5000


def test_normalisation_agrees_with_the_official_script():
    official, _ = _official_script()
    for raw in ["‘서울AI재단’", "<개정 2026.1.20>", "(사진=뉴스1)", "「행정조사기본법」", "A.B,C!  d", "얼굴ㆍ지문", "\"인용\""]:
        assert normalize_answer(raw) == official.normalize_answer(raw)
