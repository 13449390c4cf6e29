"""KorQuAD 1.0 as an open-domain benchmark: every paragraph becomes one document.

The data set is CC BY-ND and is read in place from the path the user gives; nothing
from it is written into the project. Articles 0–69 form the ``dev`` split (the only
part used for tuning), articles 70–139 the ``test`` split (reported, never tuned on).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from rag.documents import Document, normalize_text

Split = Literal["dev", "test", "all"]
DEV_ARTICLES = range(0, 70)
TEST_ARTICLES = range(70, 140)


@dataclass(frozen=True)
class KorQuADQuestion:
    """A question with the paragraph (document id) that holds its answer."""

    id: str
    question: str
    answers: tuple[str, ...]
    doc_id: str
    article: int


def paragraph_id(article: int, paragraph: int) -> str:
    return f"korquad-{article:03d}-{paragraph:02d}"


def load_korquad(path: Path, split: Split = "dev") -> tuple[list[Document], list[KorQuADQuestion]]:
    """All paragraphs as documents, and the questions of ``split``.

    Every paragraph is returned whatever the split, because questions are asked
    against the whole collection (open-domain).
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(
            f"KorQuAD data not found at {path}; pass --data pointing at KorQuAD_v1.0_dev.json "
            "(e.g. ../shared/data/korquad/KorQuAD_v1.0_dev.json)"
        )
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    wanted = {"dev": DEV_ARTICLES, "test": TEST_ARTICLES, "all": range(len(data))}[split]
    documents, questions = [], []
    for a, article in enumerate(data):
        for p, paragraph in enumerate(article["paragraphs"]):
            doc_id = paragraph_id(a, p)
            documents.append(
                Document(doc_id=doc_id, title=normalize_text(article["title"]), text=normalize_text(paragraph["context"]))
            )
            if a not in wanted:
                continue
            for qa in paragraph["qas"]:
                questions.append(
                    KorQuADQuestion(
                        id=qa["id"],
                        question=qa["question"],
                        answers=tuple(ans["text"] for ans in qa["answers"]),
                        doc_id=doc_id,
                        article=a,
                    )
                )
    return documents, questions
