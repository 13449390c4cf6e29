"""Conversations: does a follow-up get its answer from the turns before it?

A dialogue set (``eval/dialogue_dev.jsonl``) holds one conversation per line: ``{"id", "part",
"turns": [...]}``, each turn a question with the gold of the civic set (``kind``,
``answerable``, ``answers`` for a short fact, ``gold``: doc_id, section, key phrases) and
``follow_up``: whether it leaves its subject to the earlier turns ("그럼 위원장은 누가 맡나?").

Each conversation is asked turn by turn as a chat client asks: every question with the
earlier turns and the answers the service gave them. Every follow-up is asked once more
alone, as if it opened the conversation. A turn is right as in :func:`rag.passage_eval.is_right`
(the exact short answer; every key phrase and the gold article for a passage), and an
unanswerable turn when the service abstains.

Metrics: ``follow_up.with_history`` and ``follow_up.without_history`` (answerable follow-ups
right), ``follow_up.gain`` (their difference), ``follow_up.abstention_recall`` (unanswerable
follow-ups), ``opening.right`` (first turns), ``switch.right`` (later turns that name a new
subject), and ``answer.invariant_violations``: the answers whose citations break an invariant.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping, Sequence

from rag.answer.models import Answer
from rag.conversation import Turn
from rag.documents import Document
from rag.evaluation import PARTS, EvalQuestion, citation_violations, load_eval_set
from rag.jsonl import read_jsonl
from rag.passage_eval import UNANSWERABLE, PassageGold, is_right

#: ``ask(question, history)``: the pipeline's answer to a question after the earlier turns.
Ask = Callable[[str, tuple[Turn, ...]], Answer]


@dataclass(frozen=True)
class DialogueTurn:
    """One turn of a conversation with its gold."""

    question: EvalQuestion
    gold: PassageGold
    follow_up: bool


@dataclass(frozen=True)
class Conversation:
    """A conversation of the set: its id, its half (tune or report) and its turns in order."""

    id: str
    part: str | None
    turns: tuple[DialogueTurn, ...]


def is_dialogue_set(path: Path) -> bool:
    """Whether ``path`` holds conversations (rows with ``turns``) rather than single questions."""
    return any("turns" in row for _, row in read_jsonl(path))


def load_dialogues(path: Path) -> list[Conversation]:
    """Read a dialogue set; a malformed line raises ``ValueError`` naming it."""
    conversations = []
    for number, row in read_jsonl(path):
        try:
            turns = tuple(_turn(f"{row['id']}.{i}", turn, row.get("part")) for i, turn in enumerate(row["turns"], 1))
        except (KeyError, TypeError) as error:
            raise ValueError(f"{path}:{number}: not a conversation (missing {error})") from None
        if not turns:
            raise ValueError(f"{path}:{number}: a conversation needs turns")
        conversations.append(Conversation(str(row["id"]), row.get("part"), turns))
    return conversations


def questions_of(path: Path) -> list[str]:
    """The question texts of any evaluation set, in file order: its questions, or every turn of its
    conversations (benchmarks draw their load from all sets alike)."""
    if is_dialogue_set(path):
        return [turn.question.question for conversation in load_dialogues(path) for turn in conversation.turns]
    return [question.question for question in load_eval_set(path)]


def part_mismatches(path: Path) -> list[str]:
    """Conversations whose recorded half differs from the dialogue sets' rule: in file order,
    tune, report, tune, … (the set is written in pairs on one topic, so each half covers every topic)."""
    return [f"{path}: {c.id} has part {c.part!r}, the rule gives {rule!r}"
            for i, c in enumerate(load_dialogues(path)) if c.part != (rule := PARTS[i % 2])]


def _turn(turn_id: str, row: dict, part: str | None) -> DialogueTurn:
    answerable = bool(row.get("answerable", True))
    gold = row.get("gold") or {}
    question = EvalQuestion(id=turn_id, question=row["question"], answers=tuple(row.get("answers") or ()),
                            answerable=answerable, part=part)
    kind = row["kind"] if answerable else UNANSWERABLE
    return DialogueTurn(question, PassageGold(kind=kind, doc_id=gold.get("doc_id"), section=gold.get("section"),
                                              key_phrases=tuple(gold.get("key_phrases") or ())),
                        bool(row["follow_up"]))


@dataclass
class DialogueReport:
    """The metrics (see the module docstring), the ids of follow-ups missed with their history,
    and the broken citations."""

    metrics: dict[str, dict[str, float]]
    missed: list[str]
    violations: list[str]


def _correct(turn: DialogueTurn, answer: Answer) -> bool:
    if turn.gold.kind == UNANSWERABLE:
        return answer.abstained
    return is_right(turn.question, answer, turn.gold)


def _share(flags: Sequence[bool]) -> float:
    return round(sum(flags) / len(flags), 4) if flags else 0.0


def evaluate_dialogues(ask: Ask, conversations: Sequence[Conversation], documents: Mapping[str, Document],
                       progress: Callable[[int], None] | None = None) -> DialogueReport:
    """Ask every conversation turn by turn, and each follow-up once more without its history."""
    with_history: list[bool] = []
    alone: list[bool] = []
    refused: list[bool] = []
    openings: list[bool] = []
    switches: list[bool] = []
    missed: list[str] = []
    violations: list[str] = []
    broken_answers = 0
    for done, conversation in enumerate(conversations, 1):
        history: list[Turn] = []
        for position, turn in enumerate(conversation.turns):
            answer = ask(turn.question.question, tuple(history))
            history.append(Turn(turn.question.question, answer.answer))
            broken = citation_violations(answer, documents)
            violations += [f"{turn.question.id}: {v}" for v in broken]
            broken_answers += bool(broken)
            right = _correct(turn, answer)
            if position == 0:
                openings.append(right)
            elif not turn.follow_up:
                switches.append(right)
            elif turn.gold.kind == UNANSWERABLE:
                refused.append(right)
            else:
                with_history.append(right)
                alone.append(_correct(turn, ask(turn.question.question, ())))
                if not right:
                    missed.append(turn.question.id)
        if progress:
            progress(done)
    follow_up = {"turns": len(with_history), "with_history": _share(with_history),
                 "without_history": _share(alone), "gain": round(_share(with_history) - _share(alone), 4)}
    if refused:
        follow_up["abstention_recall"] = _share(refused)
    metrics = {"follow_up": follow_up,
               "opening": {"turns": len(openings), "right": _share(openings)},
               "switch": {"turns": len(switches), "right": _share(switches)},
               "answer": {"invariant_violations": broken_answers}}
    return DialogueReport(metrics, missed, violations)
