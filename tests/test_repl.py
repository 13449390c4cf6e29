"""The REPL: every command through ``Repl.handle``, the read loop, and the real ``rag repl`` in a terminal."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pexpect
import pytest
from rich.console import Console

from rag.loaders import load_path
from rag.inputs import MAX_QUERY_CHARS
from rag.pipeline import Pipeline
from rag.answer.models import Answer, Citation, Item, Reference
from rag.render import ABSTAINED, answer_view
from rag.repl import HELP, Repl, run
from rag.settings import Settings

from conftest import ROOT, CharNgramEmbedder, NEWS

QUESTION = "서울디지털재단은 몇 년에 설립되었나?"


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    pipe = Pipeline(Settings(index_dir=tmp_path_factory.mktemp("repl") / "index"), CharNgramEmbedder())
    pipe.add_documents(load_path(NEWS))
    return pipe


@pytest.fixture
def repl(pipeline):
    return Repl(pipeline)


def text(renderable) -> str:
    console = Console(file=io.StringIO(), width=200, color_system=None)
    console.print(renderable)
    return console.file.getvalue()


def test_the_answer_view_highlights_the_answer_and_names_the_section():
    quote = "위원회는 위원장 1명을 포함한 60명 이내의 위원으로 구성한다."
    citation = Citation(doc_id="law", title="인공지능기본법", start=10, end=10 + len(quote), quote=quote,
                        section="제7조제2항", score=1.0)
    answer = Answer(question="위원은 몇 명인가?", answer="60명 이내", answer_type="quantity", abstained=False,
                    confidence=0.91, citations=[citation])
    view = answer_view(answer)
    shown_quote = view.renderables[-1].renderable
    assert [shown_quote.plain[span.start:span.end] for span in shown_quote.spans] == ["60명 이내"]
    shown = text(view)
    assert shown.startswith("60명 이내\nquantity · confidence 0.91")
    assert "[1] 인공지능기본법 · 제7조제2항 · law 10–" in shown and ABSTAINED not in shown
    abstention = text(answer_view(Answer(question="?", answer=None, answer_type="other", abstained=True,
                                         confidence=0.1)))
    assert abstention.startswith(ABSTAINED) and "[1]" not in abstention


def test_a_citation_names_the_decree_articles_that_implement_it():
    quote = "위원회는 위원장 1명을 포함한 60명 이내의 위원으로 구성한다."
    decree = Reference(doc_id="decree", title="인공지능기본법 시행령", section="제4조", start=5, end=90)
    cited = Citation(doc_id="law", title="인공지능기본법", start=10, end=10 + len(quote), quote=quote, section="제7조제2항",
                     score=1.0, implemented_in=[decree, decree.model_copy(update={"section": "제6조"})])
    answer = Answer(question="위원은 몇 명인가?", answer="60명 이내", answer_type="quantity", abstained=False,
                    confidence=0.91, citations=[cited])
    shown = text(answer_view(answer))
    assert shown.rstrip().endswith("세부 사항: 인공지능기본법 시행령 제4조, 인공지능기본법 시행령 제6조")
    assert "세부 사항" not in text(answer_view(answer.model_copy(update={"citations": [
        cited.model_copy(update={"implemented_in": []})]})))


def test_a_list_answer_shows_its_kind_section_and_items_one_per_line():
    quote = "제5조(의무) 기관은 다음 각 호의 조치를 하여야 한다.\n  1. 상담\n  2. 교육"
    first = quote.index("1. 상담")
    second = quote.index("2. 교육")
    citation = Citation(doc_id="law", title="마을법", start=100, end=100 + len(quote), quote=quote, section="제5조",
                        score=0.8)
    answer = Answer(question="어떤 조치를 해야 하나?", answer=quote, answer_type="other", answer_kind="list",
                    items=[Item(start=100 + first, end=100 + first + 5, text="1. 상담"),
                           Item(start=100 + second, end=100 + second + 5, text="2. 교육")],
                    abstained=False, confidence=0.7, citations=[citation])
    shown = text(answer_view(answer))
    assert shown.startswith("제5조 · 제5조(의무) 기관은 다음 각 호의 조치를 하여야 한다.\n  1. 상담\n  2. 교육\nlist")


def test_a_question_shows_the_pipelines_answer_with_its_citations(repl, pipeline):
    reply = repl.handle(QUESTION)
    shown = text(reply.output)
    answer = pipeline.ask(QUESTION)
    assert not reply.done
    if answer.abstained:
        assert ABSTAINED in shown
    else:
        assert answer.answer in shown and answer.answer_type in shown
    for citation in answer.citations:
        assert citation.title in shown and f"{citation.start}–{citation.end}" in shown


def test_questions_form_a_conversation_until_new(repl):
    repl.handle(QUESTION)
    follow_up = text(repl.handle("출범식은 어디서 했어?").output)
    assert follow_up.startswith("→ 서울디지털재단 출범식은 어디서 했어?\n")
    assert [turn.question for turn in repl.history] == [QUESTION, "출범식은 어디서 했어?"]
    assert text(repl.handle(":new").output).strip() == "new conversation" and repl.history == []
    assert not text(repl.handle("출범식은 어디서 했어?").output).startswith("→")


def test_search_docs_show_help(repl):
    assert "seoul-ai-foundation" in text(repl.handle(":search 재단 출범식 장소").output)
    docs = text(repl.handle(":docs").output)
    assert "1 documents" in docs and "seoul-ai-foundation" in docs
    shown = text(repl.handle(":show seoul-ai-foundation").output)
    assert "서울AI재단" in shown and "2016년 설립" in shown
    assert text(repl.handle(":help").output).strip() == HELP
    assert text(repl.handle("  :HELP  ").output).strip() == HELP  # commands are case- and space-tolerant


@pytest.mark.parametrize("line", [":quit", ":q", ":exit", " :quit "])
def test_quit(repl, line):
    assert repl.handle(line).done


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (":show nope", "no document with id 'nope'"),
        (":show", "usage: :show <doc_id>"),
        (":show ../../etc/passwd", "no document with id"),
        (":search", "usage: :search <query>"),
        (":search   ", "usage: :search <query>"),
        (":frobnicate now", "unknown command :frobnicate"),
        (":", "unknown command :"),
        ("가" * (MAX_QUERY_CHARS + 1), "too long"),
        (":search " + "가" * (MAX_QUERY_CHARS + 1), "too long"),
    ],
)
def test_odd_input_is_a_message_not_an_exception(repl, line, message):
    reply = repl.handle(line)
    assert message in text(reply.output) and not reply.done


@pytest.mark.parametrize("line", ["", "   ", "\t\n"])
def test_blank_lines_print_nothing(repl, line):
    reply = repl.handle(line)
    assert reply.output is None and not reply.done


def test_the_loop_survives_ctrl_c_and_ends_on_ctrl_d(pipeline):
    # What a terminal reader produces: lines, KeyboardInterrupt for Ctrl-C, EOFError for Ctrl-D.
    events = iter([":docs", KeyboardInterrupt(), "", ":nope", EOFError(), ":never read"])

    def read() -> str:
        event = next(events)
        if isinstance(event, BaseException):
            raise event
        return event

    out = Console(file=io.StringIO(), width=200, color_system=None)
    run(pipeline, out, read)
    shown = out.file.getvalue()
    assert "seoul-ai-foundation" in shown and "unknown command :nope" in shown
    assert next(events) == ":never read"  # stopped at Ctrl-D


def test_the_loop_stops_at_quit_and_reads_a_pipe(pipeline, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(":help\n:quit\n:docs\n"))
    out = Console(file=io.StringIO(), width=200, color_system=None)
    run(pipeline, out)
    shown = out.file.getvalue()
    assert ":search <query>" in shown and "seoul-ai-foundation" not in shown
    assert sys.stdin.readline() == ":docs\n"  # nothing after :quit was read


# -- the real command, with the real model -----------------------------------------------


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    index_dir = tmp_path_factory.mktemp("repl-cli") / "index"
    subprocess.run([sys.executable, "-m", "rag", "ingest", NEWS, "--json"], cwd=ROOT, check=True,
                   capture_output=True, env={**os.environ, "RAG_INDEX_DIR": str(index_dir), "HF_HUB_OFFLINE": "1"},
                   timeout=600)
    return index_dir


@pytest.mark.slow
def test_rag_repl_in_a_pseudo_terminal(index_dir, tmp_path):
    env = {**os.environ, "RAG_INDEX_DIR": str(index_dir), "HF_HUB_OFFLINE": "1", "XDG_STATE_HOME": str(tmp_path),
           "TERM": "xterm", "PROMPT_TOOLKIT_NO_CPR": "1"}
    child = pexpect.spawn(sys.executable, ["-m", "rag", "repl"], cwd=str(ROOT), env=env, encoding="utf-8",
                          dimensions=(50, 200), timeout=120)
    transcript = io.StringIO()
    child.logfile_read = transcript
    # prompt_toolkit draws "rag>" and moves the cursor past the space; each step first waits
    # for text only the reply contains, so a redrawn prompt cannot be mistaken for the next one.
    prompt = "rag>"
    child.expect(prompt)
    child.sendline(QUESTION)
    child.expect(["2016년", ABSTAINED.split(" / ")[0]])
    child.expect(prompt)
    child.sendline(":docs")
    child.expect("seoul-ai-foundation")
    child.expect(prompt)
    child.sendline(":show nope")
    child.expect("no document with id 'nope'")
    child.expect(prompt)
    child.sendline("가" * 1200)  # a long paste
    child.expect("too long")
    child.expect(prompt)
    child.send("반쯤 쓴 질문")
    child.sendintr()  # Ctrl-C drops the half-typed line: the next line is a command on its own
    child.expect(prompt)
    child.sendline(":wat")
    child.expect("unknown command :wat")
    child.expect(prompt)
    child.sendeof()  # Ctrl-D leaves
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, transcript.getvalue()
    assert "Traceback" not in transcript.getvalue()
    assert QUESTION in (tmp_path / "rag-ko" / "repl-history").read_text(encoding="utf-8")


@pytest.mark.slow
def test_python_m_rag_repl_reads_commands_from_a_pipe(index_dir):
    result = subprocess.run(
        [sys.executable, "-m", "rag.repl"], cwd=ROOT, input=f"{QUESTION}\n:docs\n:show nope\n", capture_output=True,
        text=True, env={**os.environ, "RAG_INDEX_DIR": str(index_dir), "HF_HUB_OFFLINE": "1"}, timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert "seoul-ai-foundation" in result.stdout and "no document with id 'nope'" in result.stdout
    assert "2016년" in result.stdout or ABSTAINED in result.stdout
    assert "Traceback" not in result.stderr and "\x1b[" not in result.stdout  # plain text through a pipe
