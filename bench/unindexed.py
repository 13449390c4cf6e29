"""Questions about statutes the index does not hold: does the service say so?

A question that names a statute no indexed document is ("근로기준법을 위반하면 과태료는
얼마인가요?" over the civic statutes) shares its words with some indexed statute, which
the answerer would read as if it were the one asked about. For a seeded draw of the
statutes in force (``rag/statute_titles.txt``) that the index does not hold, each is asked
in a few everyday forms, and the benchmark prints the share abstained as served, the share
the answerer alone would have abstained on (the same retrieval, without the check of
:meth:`rag.mentions.Mentions.only_unindexed`), and the share answered because the evidence
read names the statute (an indexed act that cites it). The forms are this benchmark's;
nothing is tuned on it.

    .venv/bin/python bench/unindexed.py --index-dir /tmp/civic --corpus corpus
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: bench/ is on the path, the project root is not
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import asking  # noqa: E402
from bench.asking import closed  # noqa: E402
from rag.mentions import statute_names  # noqa: E402
from rag.pipeline import Pipeline  # noqa: E402

#: ``{t}`` the statute's title; ``을/를`` takes the particle its last syllable needs.
FORMS = ("{t}의 목적은 무엇인가요?", "{t}을/를 위반하면 과태료는 얼마인가요?", "{t}에서 정하는 신고 기한은 며칠인가요?")


def question(title: str, form: str) -> str:
    """``form`` filled with ``title`` and the object particle its last syllable takes."""
    return form.replace("{t}을/를", title + ("을" if closed(title) else "를")).replace("{t}", title)


def run(pipeline: Pipeline, limit: int, seed: int) -> dict:
    """Ask ``limit`` seeded statutes the index does not hold in every form; the figures as a dict."""
    names = pipeline.index.names
    unheld = [title for title in sorted(set(statute_names().values())) if names.mentions(title).unindexed == (title,)]
    titles = sorted(random.Random(seed).sample(unheld, min(limit, len(unheld))))
    served = alone = cited = asked = 0
    for title in titles:
        for form in FORMS:
            text = question(title, form)
            retrieval = pipeline.retrieve(text, answering=True)
            answer = pipeline.ask(text)
            without = pipeline.answerer.answer(text, retrieval.hits, retrieval.documents, hits_read=len(retrieval.hits),
                                               mentions=retrieval.mentions, analysis=retrieval.analysis)
            asked += 1
            served += answer.abstained
            alone += without.abstained
            cited += not retrieval.mentions.only_unindexed(hit.chunk.text for hit in retrieval.hits)
    return {"documents": len(pipeline.index.documents), "statutes_not_indexed": len(unheld), "statutes_asked": len(titles),
            "questions": asked, "abstained": round(served / max(asked, 1), 4),
            "abstained_by_the_answerer_alone": round(alone / max(asked, 1), 4),
            "read_evidence_naming_the_statute": round(cited / max(asked, 1), 4)}


def main(argv: list[str] | None = None) -> int:
    parser = asking.parser(__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=100, help="How many statutes to ask about, drawn with --seed.")
    args = parser.parse_args(argv)
    asking.report(run(asking.open_pipeline(args, reader="rules"), args.limit, args.seed), args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
