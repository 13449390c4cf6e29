"""The kind of answer a question asks for (rag/answer/kinds.py via the question's analysis)."""

from __future__ import annotations

import pytest

from rag.answer import kinds
from rag.answer.question import analyze_question


@pytest.mark.parametrize("question, kind", [
    # Typed spans stay short, even with a duty or a list word around them.
    ("재단은 언제 설립되었나?", "short"),
    ("위원회는 몇 명으로 구성되나?", "short"),
    ("신고는 며칠 안에 해야 해?", "short"),
    ("이 법의 시행일은?", "short"),
    ("위원장 이름이 뭐야?", "short"),
    ("무엇을 발견했나?", "short"),
    # Passages.
    ("이 법의 목적은 무엇인가요?", "purpose"),
    ("조례는 뭘 하려고 만든 거야?", "purpose"),
    ("재단 이름은 왜 바뀌었나?", "reason"),
    ("지능정보기술이란?", "definition"),
    ("전자문서는 무슨 뜻이에요?", "definition"),
    ("정보주체가 뭐예요?", "definition"),
    # "X(이)란?" asks what X is, whatever X names (an organisation, a person, a date).
    ("공공기관이란?", "definition"),
    ("인공지능사업자란?", "definition"),
    ("시행일이란?", "definition"),
    ("공공데이터 뜻", "definition"),
    # Spoken forms: 뭔가요 (뭐 + ㄴ가요), "정의해 줘", a bare 목적 with 알려줘.
    ("클라우드컴퓨팅이 뭔가요?", "definition"),
    ("공공데이터가 무엇인지 정의해줘", "definition"),
    ("가명처리 뜻 좀 알려줘", "definition"),
    ("클라우드컴퓨팅법 목적 알려줘", "purpose"),
    ("윤리원칙에는 어떤 내용이 포함되나?", "list"),
    ("재단은 어떤 일을 하나요?", "list"),
    # 일 after a verb is work, not a day (하는 일은?): a list of tasks, not a date.
    ("개인정보 보호책임자가 하는 일은?", "list"),
    ("분쟁조정위원회가 하는 일은?", "list"),
    ("사업자는 뭘 해야 돼?", "duty"),
    ("이용자에게 꼭 알려야 하나?", "duty"),
    ("전자서명도 효력이 있나요?", "passage"),
])
def test_the_kind_a_question_asks_for(question, kind):
    assert analyze_question(question).answer_kind == kind


def test_a_long_subject_with_what_asks_for_a_thing_not_a_definition():
    assert analyze_question("7대 핵심 전략 가운데 첫 번째 전략은 무엇인가?").answer_kind == "short"


def test_a_purpose_word_inside_a_compound_is_no_purpose_question():
    # 목적사업 is a noun of its own; the question asks for a period.
    assert analyze_question("목적사업에 착수하지 않으면 허가가 취소되는 기간은?").answer_kind == "short"


def test_every_passage_kind_has_cues_or_is_the_fallback():
    groups = kinds._cues()
    named = {kinds._GROUP_KIND.get(name, name) for name in groups}
    assert kinds.PASSAGE_KINDS - named == {"passage"}
    assert all(group.pattern.pattern for group in groups.values())
