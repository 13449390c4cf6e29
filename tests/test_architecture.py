"""Data flows one way: corpus → chunks → index → retrieval → answer → API/CLI.

``rag`` is the library the HTTP API (``api/``) and the benchmarks (``bench/``) are built on,
so it must never import them, and its own modules must not import each other in a circle.
Both rules are read off the source with :mod:`ast`, without importing anything: every
``import`` and ``from ... import`` counts wherever it stands (module level, inside a
function, under ``if TYPE_CHECKING`` or ``if __name__ == "__main__"``), and so does
``importlib.import_module("...")`` or ``__import__("...")`` with a literal name.
A third rule keeps modules to each other's public names: what another module needs is
made public rather than imported sideways as ``_name``. A fourth keeps modules small: a
module that outgrows :data:`MAX_LINES` is split by concept (a package per stage).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from conftest import ROOT

PACKAGE = "rag"
FORBIDDEN = ("api", "bench")
MAX_LINES = 400


def module_name(path: Path, root: Path = ROOT) -> str:
    """``rag/lexical.py`` → ``rag.lexical``; ``rag/reader/__init__.py`` → ``rag.reader``."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def _absolute(module: str | None, level: int, importer: str, importer_is_package: bool) -> str:
    """The absolute name a (possibly relative) ``from`` import refers to."""
    if level == 0:
        return module or ""
    base = importer.split(".")
    # ``from . import x`` inside rag/reader/__init__.py is rag.reader; inside rag/reader/x.py too.
    base = base[: len(base) - level + (1 if importer_is_package else 0)]
    return ".".join(base + ([module] if module else []))


def _literal_import_call(node: ast.Call) -> str | None:
    """The module a call such as ``importlib.import_module("bench.speed")`` imports, if literal."""
    function = node.func
    name = getattr(function, "attr", None) or getattr(function, "id", None)  # importlib.import_module or a bare name
    if name not in ("import_module", "__import__") or not node.args:
        return None
    first = node.args[0]
    return first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else None


def imported_names(path: Path, modules: set[str], root: Path = ROOT) -> list[tuple[int, str]]:
    """``(line, module)`` for every import in the file at ``path`` (under ``root``).

    ``from rag import evaluation`` names ``rag.evaluation`` when that is one of ``modules``
    (a submodule imported through its package, which leaves the package's lazy
    ``__getattr__`` alone), and ``rag`` for any other name (``from rag import Pipeline``).
    """
    importer = module_name(path, root)
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node.module, node.level, importer, _is_package(path))
            found += [(node.lineno, f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base)
                      for alias in node.names]
        elif isinstance(node, ast.Call) and (name := _literal_import_call(node)):
            found.append((node.lineno, name))
    return found


def private_imports(path: Path, modules: set[str], root: Path = ROOT) -> list[tuple[int, str]]:
    """``(line, "module.name")`` for each ``_name`` the file imports from another ``rag`` module."""
    importer = module_name(path, root)
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.ImportFrom):
            base = _absolute(node.module, node.level, importer, _is_package(path))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names
                      if base in modules and base != importer
                      and alias.name.startswith("_") and not alias.name.startswith("__")]
    return found


def package_modules(root: Path = ROOT) -> dict[str, Path]:
    """Every module of the ``rag`` package, subpackages included, by dotted name."""
    return {module_name(path, root): path for path in sorted((root / PACKAGE).rglob("*.py"))}


def import_graph(modules: dict[str, Path], root: Path = ROOT) -> dict[str, set[str]]:
    """``rag`` module → the ``rag`` modules it imports (the nearest enclosing module for a name)."""
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for _, target in imported_names(path, set(modules), root):
            while target and target not in modules:  # ``import rag.lexical.x`` is rag.lexical
                target = target.rpartition(".")[0]
            if target and target != name:
                graph[name].add(target)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as ``[a, b, ..., a]``, or ``None`` when it has none."""
    state: dict[str, str] = {}  # "open" while on the current path, "done" once fully explored
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        path.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                return path[path.index(target):] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        path.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


# -- the rules, on this checkout ------------------------------------------------------------


MODULES = package_modules()


def test_the_package_is_found():
    assert {"rag", "rag.cli", "rag.pipeline", "rag.lexical"} <= set(MODULES)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_rag_never_imports_the_api_or_the_benchmarks(name):
    offending = [f"{MODULES[name].relative_to(ROOT)}:{line} imports {target}"
                 for line, target in imported_names(MODULES[name], set(MODULES))
                 if target.split(".")[0] in FORBIDDEN]
    assert not offending, "rag is below api/ and bench/:\n" + "\n".join(offending)


def test_rag_modules_import_each_other_without_cycles():
    cycle = find_cycle(import_graph(MODULES))
    assert cycle is None, "import cycle: " + " → ".join(cycle)


def test_rag_modules_use_only_each_others_public_names():
    # A private name is free to change with its module; what others need is made public
    # (the Kiwi analyser is rag.tokenizer.kiwi, not a _kiwi of rag.lexical).
    offending = [f"{path.relative_to(ROOT)}:{line} imports {name}"
                 for path in MODULES.values() for line, name in private_imports(path, set(MODULES))]
    assert not offending, "\n".join(offending)


def test_every_data_file_of_the_packages_is_installed_with_them():
    """A file the code reads beside its module (weights, word lists) is in pyproject's package-data,
    or an installed package would miss it."""
    import fnmatch
    import tomllib

    globs = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["package-data"]
    missing = []
    for top in ("rag", "api"):
        for path in sorted((ROOT / top).rglob("*")):
            if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts:
                package = path.parent
                while not (package / "__init__.py").is_file():
                    package = package.parent
                name = ".".join(package.relative_to(ROOT).parts)
                inside = path.relative_to(package).as_posix()
                if not any(fnmatch.fnmatch(inside, pattern) for pattern in globs.get(name, [])):
                    missing.append(str(path.relative_to(ROOT)))
    assert missing == []


def test_rag_modules_stay_small():
    # Long modules hide several concepts; the folder layout should show them instead.
    sizes = {path.relative_to(ROOT).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
             for path in MODULES.values()}
    oversized = [f"{name}: {lines} lines" for name, lines in sorted(sizes.items())
                 if lines > MAX_LINES]
    assert not oversized, f"over {MAX_LINES} lines, split by concept:\n" + "\n".join(oversized)


# -- the checks themselves, on made-up sources ----------------------------------------------


def _write(root: Path, files: dict[str, str]) -> dict[str, Path]:
    for relative, source in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
    return package_modules(root)


def _targets(path: Path, modules: dict[str, Path], root: Path) -> set[str]:
    return {target for _, target in imported_names(path, set(modules), root)}


def test_every_form_of_import_is_seen(tmp_path):
    modules = _write(tmp_path, {
        "rag/__init__.py": "",
        "rag/a.py": (
            "import importlib\n"
            "from rag import b\n"
            "def f():\n"
            "    from api.app import serve\n"
            "    return importlib.import_module('bench.speed')\n"
            "if __name__ == '__main__':\n"
            "    import api\n"
            "    __import__('bench')\n"
        ),
        "rag/b.py": "",
        "rag/sub/__init__.py": "from . import c\nfrom ..b import x\n",
        "rag/sub/c.py": "from .. import a\nfrom . import d\n",
    })
    assert _targets(modules["rag.a"], modules, tmp_path) == {
        "importlib", "rag.b", "api.app", "bench.speed", "api", "bench"}
    assert _targets(modules["rag.sub"], modules, tmp_path) == {"rag.sub.c", "rag.b"}
    assert _targets(modules["rag.sub.c"], modules, tmp_path) == {"rag.a", "rag.sub"}


def test_private_names_of_other_modules_are_seen(tmp_path):
    modules = _write(tmp_path, {
        "rag/__init__.py": "",
        "rag/a.py": ("from rag.b import _kiwi, kiwi, __doc__\nfrom rag.a import _self\n"
                     "def f():\n    from .b import _late\n"),
        "rag/b.py": "",
    })
    assert [name for _, name in private_imports(modules["rag.a"], set(modules), tmp_path)] == ["rag.b._kiwi",
                                                                                                "rag.b._late"]


def test_a_cycle_through_function_level_and_main_block_imports_is_found(tmp_path):
    modules = _write(tmp_path, {
        "rag/__init__.py": "def __getattr__(name):\n    from rag.a import A\n    return A\n",
        "rag/a.py": "from rag.b import B\nA = 1\n",
        "rag/b.py": "def f():\n    from rag import c\nB = 2\n",
        "rag/c.py": "if __name__ == '__main__':\n    import rag.a\n",
        "rag/d.py": "from rag import a, Pipeline\n",  # d → a and d → rag: nothing leads back to d
    })
    assert find_cycle(import_graph(modules, tmp_path)) == ["rag.a", "rag.b", "rag.c", "rag.a"]
    (tmp_path / "rag" / "c.py").write_text("")
    assert find_cycle(import_graph(modules, tmp_path)) is None
