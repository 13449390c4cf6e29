"""What the terminal commands share: the consoles, one-line errors and loading the pipeline.

``rag`` (:mod:`rag.cli`) and ``python -m rag.repl`` (:mod:`rag.repl`) both start the
same way and report the same failures the same way; the helpers live here so that
neither has to import the other.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Iterator, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:
    from rag.pipeline import Pipeline
    from rag.settings import Settings

#: Results: tables, answers, JSON.
console = Console()
#: Progress, warnings and errors, so that results on stdout stay parseable.
errors = Console(stderr=True)


def fail(message: str, code: int = 1) -> NoReturn:
    """Print ``error: message`` on stderr and leave the command with exit ``code``."""
    errors.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)  # one greppable line
    raise typer.Exit(code)


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Turn the library's expected failures into one readable line and an exit code.

    Exit 2: bad input (unsupported file, missing path, invalid value); 3: an index built
    with other settings, or a damaged one; 4: an unknown document id.
    """
    from rag.index import IndexCorruptError, IndexMismatchError
    from rag.loaders import UnsupportedFormatError
    from rag.pipeline import DocumentNotFoundError

    try:
        yield
    except (IndexMismatchError, IndexCorruptError) as error:
        fail(str(error), 3)
    except DocumentNotFoundError as error:
        fail(str(error), 4)
    except (UnsupportedFormatError, FileNotFoundError, ValueError) as error:
        fail(str(error), 2)


def load_pipeline(settings: Settings | None = None) -> Pipeline:
    """The pipeline for ``settings`` (default: ``RAG_*`` variables), under a spinner."""
    from rag.pipeline import Pipeline

    with console.status("loading model and index…"):
        return Pipeline.from_config(settings)
