"""References between statute articles: parsed from the text, resolved to indexed articles."""

from __future__ import annotations

from pathlib import Path

from rag.answer.assemble import with_implementations
from rag.answer.models import Answer, Citation
from rag.loaders import load_file
from rag.references import ReferenceGraph

from statutes import indexed_statute

ACT = """# 시험법

##### 제1조 (목적)

이 법은 시험 제도를 정함을 목적으로 한다.

##### 제2조 (정의)

이 법에서 "응시자"란 시험을 보는 사람을 말한다.

##### 제3조 (응시료)

① 응시자는 대통령령으로 정하는 응시료를 내야 한다.
② 제2조에 따른 응시자 중 「장애인복지법」 제2조에 따른 장애인은 응시료를 면제한다.

##### 제4조 (벌칙)

제3조제1항, 제5조 및 제6조를 위반한 자는 과태료를 부과한다.

##### 제5조 (신고)

응시자는 「자격법」 제1조, 제2조에 따라 신고한다.

##### 제6조 (준용)

이 법 제1조를 준용한다.
"""

DECREE = """# 시험법 시행령

##### 제1조 (목적)

이 영은 「시험법」(이하 "법"이라 한다)에서 위임된 사항을 규정함을 목적으로 한다.

##### 제2조 (응시료)

법 제3조제1항에서 "대통령령으로 정하는 응시료"란 만 원을 말한다. 이 영 제1조와 「시험법」 제1조 및 같은 법 제4조는 그대로 둔다.
"""

QUALIFICATIONS = """# 자격법

##### 제1조 (목적)

이 법은 자격을 정한다.

##### 제2조 (자격)

자격은 시험으로 얻는다.
"""


def _statutes(tmp_path: Path, **texts: str) -> dict:
    """Each text written as ``name.md`` and loaded as the loader reads it, by file name."""
    out = {}
    for name, text in texts.items():
        path = tmp_path / f"{name}.md"
        path.write_text(text, encoding="utf-8")
        out[name] = load_file(path)
    return out


def test_references_resolve_within_a_statute_across_statutes_and_from_a_decree(tmp_path):
    docs = _statutes(tmp_path, act=ACT, decree=DECREE, qualifications=QUALIFICATIONS)
    act, decree, qual = (docs[n].doc_id for n in ("act", "decree", "qualifications"))
    graph = ReferenceGraph.build(docs.values())
    # Same statute, with joiners and a 항 between references: 제3조제1항, 제5조 및 제6조.
    assert graph.cites[(act, "제4조")] == {(act, "제3조"), (act, "제5조"), (act, "제6조")}
    # 제2조에 따른 is the act's own; 「장애인복지법」 제2조 is not indexed and resolves to nothing.
    assert graph.cites[(act, "제3조")] == {(act, "제2조")}
    # A named statute carries over to the reference joined to it: 「자격법」 제1조, 제2조.
    assert graph.cites[(act, "제5조")] == {(qual, "제1조"), (qual, "제2조")}
    assert graph.cites[(act, "제6조")] == {(act, "제1조")}  # 이 법 제1조
    # In a decree, 법 is its act, 이 영 itself, 같은 법 the statute named last.
    assert graph.cites[(decree, "제2조")] == {(act, "제3조"), (decree, "제1조"), (act, "제1조"), (act, "제4조")}
    assert (decree, "제2조") in graph.cited_by[(act, "제3조")]
    assert graph.neighbours((act, "제3조")) == {(act, "제2조"), (act, "제4조"), (decree, "제2조")}
    assert len(graph) == sum(len(t) for t in graph.cites.values()) == 11


def test_a_decree_article_implements_the_act_article_it_cites(tmp_path):
    docs = _statutes(tmp_path, act=ACT, decree=DECREE, qualifications=QUALIFICATIONS)
    act, decree = docs["act"].doc_id, docs["decree"].doc_id
    graph = ReferenceGraph.build(docs.values())
    assert graph.implemented_by[(act, "제3조")] == ((decree, "제2조"),)
    assert graph.implemented_by[(act, "제4조")] == ((decree, "제2조"),)
    # Another statute's article citing the act implements nothing of it, nor does the act itself.
    assert (act, "제2조") not in graph.implemented_by and (docs["qualifications"].doc_id, "제1조") not in graph.implemented_by


def test_citations_name_the_decree_articles_that_implement_them(tmp_path):
    docs = _statutes(tmp_path, act=ACT, decree=DECREE)
    act, decree = docs["act"], docs["decree"]
    graph = ReferenceGraph.build(docs.values())
    start = act.text.index("응시자는 대통령령으로")
    end = act.text.index("\n", start)
    other = act.text.index("이 법에서")
    cited = [Citation(doc_id=act.doc_id, title=act.title, start=start, end=end, quote=act.text[start:end],
                      section="제3조제1항", score=1.0),
             Citation(doc_id=act.doc_id, title=act.title, start=other, end=other + 5, quote=act.text[other:other + 5],
                      section="제2조", score=0.5)]
    answer = Answer(question="응시료는?", answer="응시료", answer_type="other", abstained=False, confidence=0.9,
                    citations=cited)
    served = with_implementations(answer, graph, {d.doc_id: d for d in docs.values()})
    [reference] = served.citations[0].implemented_in
    assert (reference.doc_id, reference.section, reference.title) == (decree.doc_id, "제2조", "시험법 시행령")
    assert (reference.start, reference.end) == decree.articles["제2조"]
    assert served.citations[1].implemented_in == []
    # Without the decree in the documents (a generation swapped in since), nothing is named.
    assert with_implementations(answer, graph, {act.doc_id: act}) == answer


def test_the_served_answer_names_the_implementing_decree_article(tmp_path, fake_embedder):
    pipeline, act = indexed_statute(tmp_path, fake_embedder, ACT)
    decree_path = tmp_path / "decree.md"
    decree_path.write_text(DECREE, encoding="utf-8")
    decree = load_file(decree_path)
    pipeline.add_documents([decree])
    answer = pipeline.ask("응시자는 무엇을 내야 하나요?")
    implemented = {(r.doc_id, r.section) for c in answer.citations for r in c.implemented_in}
    assert (decree.doc_id, "제2조") in implemented
    assert all(c.section and c.section.startswith(("제3조", "제4조")) for c in answer.citations if c.implemented_in)
