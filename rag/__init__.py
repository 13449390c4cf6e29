"""Question answering with exact citations over Korean civic documents.

The public API is :class:`rag.Pipeline`::

    from rag import Pipeline
    pipeline = Pipeline.from_config()
    hits = pipeline.search("재단은 언제 설립되었나?")
"""

from typing import Any

__all__ = ["Pipeline", "Settings"]


def __getattr__(name: str) -> Any:
    # Imported on first use so that `import rag.lexical` does not load the model stack.
    if name == "Pipeline":
        from rag.pipeline import Pipeline

        return Pipeline
    if name == "Settings":
        from rag.settings import Settings

        return Settings
    raise AttributeError(name)
