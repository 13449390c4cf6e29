"""Every term the indexed statutes define, asked the way people ask what a word means.

Statutes define their terms in one drafting form ('"X"란 …을 말한다'), so the questions
and their gold come from the documents themselves: for each defined term, one question
per ``--form`` template ("X이란?", "X가 뭐야?", "X 뜻 알려줘", "<statute>에서 X란?" …, with the
particle the term's last syllable takes). An answer is right when it is the defining clause of
that term (the term quoted and defined in the answer) in a document that defines it, and in
the statute the question names when it names one. Delegated
stubs ('"대통령령으로 정하는 자"란') are left out: nobody asks what they mean.

The templates are this benchmark's, not people's: the figure measures how well the
service finds and cites definitions across a whole corpus, not how it reads every
wording. Nothing is tuned on it; it prints the share right per form, abstentions,
answer kinds and the answer time.

    .venv/bin/python bench/definitions.py --index-dir /tmp/civic --corpus corpus
"""

from __future__ import annotations

import random
import re
import sys
from collections import Counter
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script: bench/ is on the path, the project root is not
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import asking  # noqa: E402
from bench.asking import closed  # noqa: E402
from rag.answer.definitions import DEFINING, defined_terms, term_key, written_term  # noqa: E402
from rag.documents import Document  # noqa: E402
from rag.pipeline import Pipeline  # noqa: E402

#: ``{t}`` the term; ``이/가``, ``은/는``, ``이란`` take the particle its last syllable needs;
#: ``{law}`` the title of a statute defining it, whose own clause must then answer.
FORMS = ("{t}이란?", "{t}이/가 뭐야?", "{t}의 뜻은?", "{t}은/는 무엇을 말하나요?", "{t} 뜻 알려줘", "{law}에서 {t}이란?")
#: The longest term asked about; longer "terms" are descriptions ("…을 판단할 수 있는 정보").
MAX_TERM = 15
_DELEGATED = re.compile(r"령으로 정하|령으로 정한")


def terms_of(documents: dict[str, Document]) -> dict[str, str]:
    """Each defined term as written (gloss removed) → its key (:func:`term_key`), over every statute."""
    terms: dict[str, str] = {}
    for doc in documents.values():
        keys = defined_terms(doc)
        for match in DEFINING.finditer(doc.text):
            written = written_term(match.group(1))
            key = term_key(written)
            if key in keys and len(written) <= MAX_TERM and not _DELEGATED.search(written):
                terms.setdefault(written, key)
    return terms


def question(term: str, form: str, law: str = "") -> str:
    """``form`` filled with ``term`` (and the particles its last syllable takes) and ``law``."""
    final = closed(term)
    return (form.replace("{t}이/가", term + ("이" if final else "가"))
            .replace("{t}은/는", term + ("은" if final else "는"))
            .replace("{t}이란", term + ("이란" if final else "란"))
            .replace("{t}", term).replace("{law}", law))


def defines(answer: str | None, key: str) -> bool:
    """Whether ``answer`` is a defining clause of the term ``key``."""
    return answer is not None and any(term_key(m.group(1)) == key for m in DEFINING.finditer(answer + " "))


def run(pipeline: Pipeline, forms: tuple[str, ...], limit: int | None, seed: int) -> dict:
    """Ask every (or ``limit`` seeded) defined term in every form; the figures as a dict."""
    documents = pipeline.index.documents
    terms = sorted(terms_of(documents).items())
    if limit is not None and limit < len(terms):
        terms = sorted(random.Random(seed).sample(terms, limit))
    right: dict[str, list[int]] = {form: [] for form in forms}
    kinds: Counter[str] = Counter()
    abstained, times = 0, []
    for term, key in terms:
        # The statute a {law} form names: the first (by id) of those defining the term.
        named = min(doc_id for doc_id, doc in documents.items() if key in defined_terms(doc))
        for form in forms:
            answer = pipeline.ask(question(term, form, documents[named].title))
            cited = answer.citations[0].doc_id if answer.citations else None
            ok = defines(answer.answer, key) and cited is not None and (
                cited == named if "{law}" in form else key in defined_terms(documents[cited]))
            right[form].append(int(ok))
            kinds[answer.answer_kind] += 1
            abstained += answer.abstained
            times.append(answer.timings_ms.answer)
    asked = sum(len(v) for v in right.values())
    return {"documents": len(documents), "terms": len(terms), "questions": asked,
            "right": round(sum(map(sum, right.values())) / max(asked, 1), 4),
            "right_per_form": {form: round(float(np.mean(v)), 4) if v else None for form, v in right.items()},
            "abstained": round(abstained / max(asked, 1), 4), "answer_kinds": dict(kinds.most_common()),
            "answer_ms_p50": round(float(np.percentile(times, 50)), 2) if times else None}


def main(argv: list[str] | None = None) -> int:
    parser = asking.parser(__doc__.split("\n\n")[0])
    parser.add_argument("--form", action="append", help="A question template (repeat it; default: FORMS).")
    parser.add_argument("--limit", type=int, help="Only this many terms, drawn with --seed.")
    args = parser.parse_args(argv)
    pipeline = asking.open_pipeline(args)
    pipeline.warm_up()
    asking.report(run(pipeline, tuple(args.form or FORMS), args.limit, args.seed), args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
