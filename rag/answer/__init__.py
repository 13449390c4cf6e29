"""The rule answerer, in stages: question → evidence → candidates → features → ranker → answer.

:mod:`rag.answer.answerer` runs the stages (its docstring lists them); the pydantic
models the API and the CLI serve are in :mod:`rag.answer.models`. Import from the
submodules: the package itself loads nothing, so the models come without Kiwi.
"""
