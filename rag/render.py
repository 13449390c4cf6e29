"""Rich renderings shared by the ``rag`` commands and the REPL.

Document text is always wrapped in :class:`rich.text.Text`, never passed as a markup
string, so brackets in a statute ("[시행 2026. 1. 22.]") print as they are.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from rag.answer.models import Answer
    from rag.articles import ArticleHit
    from rag.index import Index
    from rag.documents import Document
    from rag.pipeline import Pipeline
    from rag.retrieval import SearchHit

#: What an abstention says, in the documents' language and in English.
ABSTAINED = "문서에서 답을 찾지 못했습니다 / the documents do not say"
#: What follows it when the question names statutes the index does not hold.
UNINDEXED = "색인된 문서에 없는 법령 / not among the documents: {names}"

_SNIPPET = 160


def _fmt(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def answer_view(answer: Answer) -> RenderableType:
    """The question as understood when a follow-up was read with its conversation's topic, the
    answer (or the abstention line), its kind, type and confidence, then each citation.

    A list answer shows its lead and then its items one per line; a passage answer names
    its section first. A citation shows its document title, statute section, offsets and
    the quote with every occurrence of the answer highlighted.
    """
    head = Text()
    if answer.resolved_question and answer.resolved_question != answer.question:
        head.append(f"→ {answer.resolved_question}\n", style="dim")
    if answer.answer is None:
        head.append(ABSTAINED, style="bold yellow")
        if answer.unindexed_statutes:
            names = ", ".join(f"「{name}」" for name in answer.unindexed_statutes)
            head.append("\n" + UNINDEXED.format(names=names), style="yellow")
    else:
        section = answer.citations[0].section if answer.answer_kind != "short" and answer.citations else None
        if section:
            head.append(f"{section} · ", style="cyan")
        if answer.items:
            # The answer is the first citation's quote: the lead ends where the first item starts.
            lead = answer.answer[: answer.items[0].start - answer.citations[0].start]
            head.append(lead.rstrip(), style="bold green")
            for item in answer.items:
                head.append(f"\n  {item.text}", style="green")
        else:
            head.append(answer.answer, style="bold green")
        if answer.truncated:
            head.append(" …", style="dim")
    kind = answer.answer_type if answer.answer_kind == "short" else answer.answer_kind
    head.append(
        f"\n{kind} · confidence {answer.confidence:.2f} · {answer.timings_ms.total:.0f} ms",
        style="dim",
    )
    parts: list[RenderableType] = [head]
    for number, citation in enumerate(answer.citations, start=1):
        where = Text(f"[{number}] ", style="bold")
        where.append(citation.title, style="cyan")
        if citation.section:
            where.append(f" · {citation.section}", style="cyan")
        where.append(f" · {citation.doc_id} {citation.start}–{citation.end}", style="dim")
        quote = Text(citation.quote)
        if answer.answer:
            quote.highlight_words([answer.answer], style="bold reverse")
        parts += [where, Padding(quote, (0, 0, 0, 4))]
        if citation.implemented_in:
            details = ", ".join(f"{r.title} {r.section}" for r in citation.implemented_in)
            parts.append(Padding(Text(f"세부 사항: {details}", style="dim"), (0, 0, 0, 4)))
    return Group(*parts)


def hit_dict(hit: SearchHit) -> dict[str, Any]:
    """A search hit as the JSON object ``rag search --json`` prints."""
    chunk = hit.chunk
    return {
        "doc_id": chunk.doc_id, "title": hit.title, "start": chunk.start, "end": chunk.end, "text": chunk.text,
        "section": chunk.section, "score": hit.score, "dense_score": hit.dense_score, "bm25_score": hit.bm25_score,
    }


def hits_table(query: str, hits: list[SearchHit]) -> RenderableType:
    """Ranked chunks with document, section, offsets, the three scores and a text snippet."""
    if not hits:
        return Text("no matching chunks", style="yellow")
    table = Table(title=Text(query), show_lines=True)
    for column in ("#", "document", "section", "offsets", "fused", "dense", "bm25", "text"):
        table.add_column(column, overflow="fold")
    for rank, hit in enumerate(hits, start=1):
        c = hit.chunk
        text = c.text if len(c.text) <= _SNIPPET else c.text[:_SNIPPET] + "…"
        document = Text(hit.title)
        document.append(f"\n{c.doc_id}", style="dim")
        table.add_row(str(rank), document, Text(c.section or ""), f"{c.start}–{c.end}",
                      _fmt(hit.score, 4), _fmt(hit.dense_score), _fmt(hit.bm25_score, 2), Text(text))
    return table


def article_dict(hit: ArticleHit, index: Index) -> dict[str, Any]:
    """An article unit as the JSON object ``rag search --unit article --json`` prints."""
    chunks = [index.chunks[row].chunk for row in hit.rows]
    return {
        "doc_id": hit.doc_id, "title": index.documents[hit.doc_id].title, "article": hit.article,
        "article_title": chunks[0].section_title if chunks else None, "score": round(hit.score, 4),
        "chunks": [{"start": c.start, "end": c.end, "section": c.section, "text": c.text} for c in chunks],
    }


def articles_table(query: str, hits: list[ArticleHit], index: Index) -> RenderableType:
    """Ranked article units: document, 조 with its title, score and the start of its best chunk."""
    if not hits:
        return Text("no matching articles", style="yellow")
    table = Table(title=Text(query), show_lines=True)
    for column in ("#", "document", "article", "score", "chunks", "text"):
        table.add_column(column, overflow="fold")
    for rank, hit in enumerate(hits, start=1):
        row = article_dict(hit, index)
        text = row["chunks"][0]["text"] if row["chunks"] else ""
        document = Text(row["title"])
        document.append(f"\n{hit.doc_id}", style="dim")
        heading = f"{hit.article}({row['article_title']})" if hit.article and row["article_title"] else hit.article or ""
        table.add_row(str(rank), document, Text(heading), _fmt(hit.score, 2), str(len(hit.rows)),
                      Text(text if len(text) <= _SNIPPET else text[:_SNIPPET] + "…"))
    return table


_DOCUMENT_COLUMNS = ("doc_id", "title", "kind", "date", "chars", "chunks")


def document_rows(pipeline: Pipeline) -> list[dict[str, Any]]:
    """One summary per indexed document: id, title, kind, date, length and chunk count."""
    counts: dict[str, int] = {}
    for item in pipeline.index.chunks:
        counts[item.chunk.doc_id] = counts.get(item.chunk.doc_id, 0) + 1
    return [
        {"doc_id": d.doc_id, "title": d.title, "kind": d.kind, "date": d.date, "chars": len(d.text),
         "chunks": counts.get(d.doc_id, 0)}
        for d in pipeline.documents()
    ]


def documents_table(rows: list[dict[str, Any]]) -> RenderableType:
    """The rows of :func:`document_rows` as a table."""
    table = Table(title=f"{len(rows)} documents")
    for column in _DOCUMENT_COLUMNS:
        table.add_column(column)
    for row in rows:
        table.add_row(*(Text(str(row[c] or "")) for c in _DOCUMENT_COLUMNS))
    return table


def document_view(document: Document) -> RenderableType:
    """A document's metadata, then the normalised text that all offsets refer to."""
    data = document.to_dict()
    lines: list[RenderableType] = []
    for key in ("doc_id", "title", "kind", "date", "publisher", "source"):
        if data[key]:
            lines.append(Text.assemble((key, "bold"), f": {data[key]}"))
    lines.append(Text.assemble(("sections", "bold"), f": {len(document.sections)}  ",
                               ("chars", "bold"), f": {len(document.text)}\n"))
    lines.append(Text(document.text))
    return Group(*lines)
