"""The load benchmark's question pool and process readings (bench/questions.py, bench/processes.py).

The benchmark itself runs against a real server in CI (`.ci/run`: `bench/load.py --duration 3`).
"""

from __future__ import annotations

import json
import os

import pytest

from bench.processes import ProcessTree
from bench.questions import PREFIXES, SUFFIXES, QuestionPool, korquad_questions, variants


def test_variants_keep_the_question_and_are_all_different():
    forms = variants("재단은 언제 설립되었나?")
    assert len(forms) == len(set(forms)) == len(PREFIXES) * len(SUFFIXES)
    assert forms[0] == "재단은 언제 설립되었나?" and all("재단은 언제 설립되었나?" in f for f in forms)


def test_a_pool_repeats_nothing_until_it_is_used_up():
    pool = QuestionPool(["가는?", "나는?"], ["다는?", "가는?"])
    assert len(pool) == 3 * len(PREFIXES) * len(SUFFIXES)  # the duplicate counted once
    first = [pool.take() for _ in range(len(pool))]
    assert len(set(first)) == len(pool) and pool.repeated == 0
    pool.take()
    assert pool.repeated == 1
    same_seed = QuestionPool(["가는?", "나는?"], ["다는?", "가는?"])
    assert [same_seed.take() for _ in range(len(pool))] == first  # a run is reproducible


def test_a_repeating_pool_cycles_through_its_questions_in_order():
    pool = QuestionPool(["가는?", "나는?"], repeat=True)
    assert [pool.take() for _ in range(5)] == ["가는?", "나는?", "가는?", "나는?", "가는?"]
    assert pool.repeated == 3
    with pytest.raises(ValueError):
        QuestionPool([])


def test_korquad_questions_are_read_from_the_file_format(tmp_path):
    data = {"data": [{"title": "t", "paragraphs": [{"context": "c", "qas": [
        {"id": "1", "question": "무엇인가?", "answers": [{"text": "c", "answer_start": 0}]},
        {"id": "2", "question": "언제인가?", "answers": [{"text": "c", "answer_start": 0}]}]}]}]}
    path = tmp_path / "k.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert korquad_questions(path) == ["무엇인가?", "언제인가?"]


def test_a_process_tree_reads_its_own_cpu_time_and_memory():
    tree = ProcessTree(os.getpid())
    before = tree.cpu_seconds()
    sum(i * i for i in range(2_000_000))  # burn some CPU
    assert tree.cpu_seconds() > before
    sizes = tree.rss_mb()
    assert sizes and sizes[0] > 10 and sizes == sorted(sizes, reverse=True)


def test_memory_growth_is_read_per_process_from_the_second_sample():
    from bench.load import _growth

    samples = [{"s": 0, "requests": 0, "rss_mb": {"1": 500.0, "2": 100.0}},
               {"s": 10, "requests": 90, "rss_mb": {"1": 700.0, "2": 100.0}},
               {"s": 20, "requests": 180, "rss_mb": {"1": 703.5, "2": 99.0, "3": 50.0}}]
    assert _growth(samples) == {"1": 3.5, "2": -1.0}  # warm-up left out; a process born late has no growth
    assert _growth(samples[:1]) == {"1": 0.0, "2": 0.0}
