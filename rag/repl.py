"""``rag repl``: ask questions, search and read documents at a prompt with history.

:class:`Repl` turns one input line into a reply and knows nothing about terminals,
so every command is testable as a plain call; :func:`run` warms the pipeline up, then
reads lines (with prompt_toolkit on a terminal, plainly from a pipe), prints replies
and keeps going through Ctrl-C until ``:quit`` or Ctrl-D; :func:`start` loads the
pipeline first, for ``rag repl`` and ``python -m rag.repl`` alike.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from rich.console import Console, RenderableType
from rich.text import Text

from rag.conversation import Turn
from rag.inputs import DocumentNotFoundError
from rag.render import answer_view, document_rows, document_view, documents_table, hits_table
from rag.terminal import console as terminal_console
from rag.terminal import friendly_errors, load_pipeline

if TYPE_CHECKING:
    from rag.answer.models import Answer
    from rag.pipeline import Pipeline

PROMPT = "rag> "
#: Earlier questions sent with each new one, as the API takes at most (api.models.MAX_HISTORY_TURNS).
HISTORY_TURNS = 10

HELP = """\
Type a question to get an answer with its citations, or a command. Questions form a conversation:
a follow-up (그럼 위원장은?) is read with what the earlier ones were about.
  :new              start a new conversation (forget the earlier questions)
  :search <query>   ranked chunks for the query
  :docs             indexed documents
  :show <doc_id>    a document's metadata and full text
  :help             this help
  :quit             leave (also :q, :exit or Ctrl-D); Ctrl-C clears the line or stops a question"""


@dataclass(frozen=True)
class Reply:
    """What one input line produced: something to print (or nothing), and whether to stop."""

    output: RenderableType | None = None
    done: bool = False


def _error(message: str) -> Reply:
    return Reply(Text(message, style="red"))


class Repl:
    """The REPL's commands over one loaded pipeline."""

    def __init__(self, pipeline: Pipeline):
        self.pipeline = pipeline
        #: The conversation so far, as a chat client would send it with each question.
        self.history: list[Turn] = []
        self._commands: dict[str, Callable[[str], Reply]] = {
            "new": self._new, "search": self._search, "docs": self._docs, "show": self._show, "help": self._help,
            "quit": self._quit, "q": self._quit, "exit": self._quit,
        }

    def handle(self, line: str) -> Reply:
        """Answer a question, or run a ``:command``; bad input gives a message, never an exception."""
        line = line.strip()
        if not line:
            return Reply()
        if not line.startswith(":"):
            return self._guarded(lambda: answer_view(self._ask(line)))
        name, _, argument = line[1:].partition(" ")
        command = self._commands.get(name.lower())
        if command is None:
            return _error(f"unknown command :{name} (type :help for the commands)")
        return command(argument.strip())

    def _ask(self, question: str) -> Answer:
        answer = self.pipeline.ask(question, history=tuple(self.history[-HISTORY_TURNS:]))
        self.history.append(Turn(question, answer.answer))
        return answer

    def _new(self, _: str) -> Reply:
        self.history.clear()
        return Reply(Text("new conversation", style="dim"))

    @staticmethod
    def _guarded(render: Callable[[], RenderableType]) -> Reply:
        # Errors the pipeline raises for bad input (empty, too long, unknown id) are
        # messages to the user, not crashes of the session.
        try:
            return Reply(render())
        except (ValueError, DocumentNotFoundError) as error:
            return _error(f"error: {error}")

    def _search(self, query: str) -> Reply:
        if not query:
            return _error("usage: :search <query>")
        return self._guarded(lambda: hits_table(query, self.pipeline.search(query)))

    def _docs(self, _: str) -> Reply:
        return Reply(documents_table(document_rows(self.pipeline)))

    def _show(self, doc_id: str) -> Reply:
        if not doc_id:
            return _error("usage: :show <doc_id> (:docs lists the ids)")
        return self._guarded(lambda: document_view(self.pipeline.document(doc_id)))

    @staticmethod
    def _help(_: str) -> Reply:
        return Reply(Text(HELP))

    @staticmethod
    def _quit(_: str) -> Reply:
        return Reply(done=True)


def _history_file() -> Path | None:
    """Where prompt history is kept across sessions, or ``None`` when that folder is unwritable."""
    from platformdirs import user_state_path

    try:
        return user_state_path("rag-ko", ensure_exists=True) / "repl-history"
    except OSError:
        return None


def terminal_reader() -> Callable[[], str]:
    """Read a line at a prompt_toolkit prompt with persistent history and line editing."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory, InMemoryHistory

    path = _history_file()
    session: PromptSession[str] = PromptSession(history=FileHistory(str(path)) if path else InMemoryHistory())
    return lambda: session.prompt(PROMPT)


def pipe_reader() -> Callable[[], str]:
    """Read lines from standard input when it is not a terminal (``echo ':docs' | rag repl``)."""

    def read() -> str:
        line = sys.stdin.readline()
        if not line:
            raise EOFError
        return line

    return read


def run(pipeline: Pipeline, console: Console, read: Callable[[], str] | None = None) -> None:
    """Read, handle and print lines until ``:quit`` or end of input.

    ``read`` returns one line, raising ``EOFError`` at the end (Ctrl-D) and
    ``KeyboardInterrupt`` for Ctrl-C; by default it is :func:`terminal_reader` on a
    terminal and :func:`pipe_reader` otherwise.
    """
    read = read or (terminal_reader() if sys.stdin.isatty() else pipe_reader())
    repl = Repl(pipeline)
    with console.status("warming up…"):
        pipeline.warm_up()
    console.print(f"{len(pipeline.index.documents)} documents, {len(pipeline.index.chunks)} chunks at "
                  f"{pipeline.store.root} · ask a question, or :help", style="dim", highlight=False)
    while True:
        try:
            line = read()
        except KeyboardInterrupt:
            continue  # Ctrl-C at the prompt drops the line, as in a shell
        except EOFError:
            break
        try:
            reply = repl.handle(line)
        except KeyboardInterrupt:
            console.print("interrupted", style="yellow")
            continue
        if reply.output is not None:
            console.print(reply.output, highlight=False)
        if reply.done:
            break


def start() -> None:
    """Load the pipeline from ``RAG_*`` settings, then :func:`run` on the terminal console.

    A failure to load (an index built with other settings, say) is one line and an exit
    code, as for every ``rag`` command.
    """
    with friendly_errors():
        pipeline = load_pipeline()
    run(pipeline, terminal_console)


if __name__ == "__main__":
    # ``python -m rag.repl`` is ``rag repl``: the same start-up and error handling, and
    # typer turns the exit codes of rag.terminal.fail into the process's.
    import typer

    command = typer.Typer(add_completion=False)
    command.command(help="Interactive questions with history; :search, :docs, :show, :help and :quit inside.")(start)
    command(prog_name="python -m rag.repl")
