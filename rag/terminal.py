"""What the terminal commands share: the consoles, one-line errors and loading the pipeline.

``rag`` (:mod:`rag.cli`) and ``python -m rag.repl`` (:mod:`rag.repl`) both start the
same way and report the same failures the same way; the helpers live here so that
neither has to import the other.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

if TYPE_CHECKING:
    from rag.documents import Document
    from rag.pipeline import IngestReport, Pipeline
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
    with other settings, or a damaged one; 4: an unknown document id; 5: the index's
    database cannot be reached.
    """
    from rag.index import IndexCorruptError, IndexMismatchError
    from rag.index.postgres import StoreUnavailableError
    from rag.loaders import UnsupportedFormatError
    from rag.inputs import DocumentNotFoundError

    try:
        yield
    except (IndexMismatchError, IndexCorruptError) as error:
        fail(str(error), 3)
    except DocumentNotFoundError as error:
        fail(str(error), 4)
    except StoreUnavailableError as error:
        fail(str(error), 5)
    except (UnsupportedFormatError, FileNotFoundError, ValueError) as error:
        fail(str(error), 2)


def load_pipeline(settings: Settings | None = None, rebuild: bool = False) -> Pipeline:
    """The pipeline for ``settings`` (default: ``RAG_*`` variables), under a spinner;
    ``rebuild`` as in :class:`rag.pipeline.Pipeline`."""
    from rag.pipeline import Pipeline

    with console.status("loading model and index…"):
        return Pipeline.from_config(settings, rebuild)


def progress_bar() -> Progress:
    """The progress bars of long commands, on stderr."""
    return Progress(
        TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=errors, transient=False,
    )


def read_documents(paths: list[Path], progress: Progress) -> list[Document]:
    """Load every supported file under ``paths``, one bar step a file."""
    from rag.loaders import iter_files, load_file

    files = iter_files(paths)
    task = progress.add_task("reading", total=len(files))
    documents = []
    for path in files:
        documents.append(load_file(path))
        progress.advance(task)
    return documents


def ingest_with_progress(pipeline: Pipeline, documents: list[Document], replace: bool,
                         progress: Progress) -> IngestReport:
    """:meth:`Pipeline.add_documents` with a bar per stage (a line per stage in logs)."""
    tasks: dict[str, int] = {}

    def on_progress(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = progress.add_task(stage, total=total)
            if not errors.is_terminal:  # no live bar in logs: say when each stage starts
                errors.print(f"{stage} {total}…", highlight=False)
        progress.update(tasks[stage], completed=done, total=total)

    return pipeline.add_documents(documents, replace=replace, progress=on_progress)


def print_metrics_table(title: str, label: str, rows: dict[str, dict[str, float]]) -> None:
    """One row per key of ``rows``, one column per metric; integers as they are, others to three places."""
    names = list(next(iter(rows.values())).keys())
    table = Table(title=title)
    table.add_column(label)
    for name in names:
        table.add_column(name.replace("_", " "), justify="right")  # spaces let narrow headers wrap
    for key, values in rows.items():
        table.add_row(key, *(str(values[n]) if isinstance(values[n], int) else f"{values[n]:.3f}" for n in names))
    console.print(table)
