"""Start the programs built on top of ``rag``: the HTTP API and the benchmarks of ``bench/``.

``rag serve`` and ``rag bench speed|latency|scale`` are commands of ``rag``, but what
they run sits above it (``api/`` and ``bench/`` import ``rag``, never the reverse), so ``rag``
starts them as programs instead of importing them: the process *becomes* ``python -m api`` or
``python -m bench.speed`` (:func:`os.execve`).

Why replace the process rather than import a module by name or wait on a child:

* all of serving stays in ``api``: uvicorn's options, the shared folder prometheus-client
  needs while several workers run, the health-check timeout (``api.app.serve``). Handing
  uvicorn the import string ``api.app:create_app`` from here would copy that set-up into
  ``rag`` and still import ``api`` into this process;
* callers keep what they rely on: tests and ``bench/load.py`` stop ``rag serve`` with
  SIGTERM or SIGKILL to the pid they started, which a child process would outlive (holding
  the port); Ctrl-C reaches one program; the exit status is the program's own.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import NoReturn, Sequence


def checkout_root() -> Path:
    """The folder that holds this ``rag`` package: a source checkout, or site-packages."""
    import rag  # its __file__, which tests point elsewhere to play an installed copy

    return Path(rag.__file__).resolve().parents[1]


def is_checkout(root: Path) -> bool:
    """Whether ``root`` is a source checkout (rather than the site-packages of an install)."""
    return (root / "pyproject.toml").is_file()


def module_command(module: str, args: Sequence[str], root: Path | None = None) -> tuple[list[str], dict[str, str]]:
    """The argv and environment that run ``python -m module args`` with this interpreter.

    ``-P`` leaves the current directory off the module path, so a folder named ``api`` or
    ``bench`` where the user happens to stand cannot stand in for ours; ``root`` (a
    checkout) goes first on ``PYTHONPATH`` instead, so the program comes from the same
    checkout as this ``rag``. Without ``root`` it is found where ``rag`` was installed.
    """
    env = dict(os.environ)
    if root is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(root), *filter(None, [env.get("PYTHONPATH")])])
    return [sys.executable, "-P", "-m", module, *args], env


def exec_module(module: str, args: Sequence[str], root: Path | None = None) -> NoReturn:
    """Replace this process with ``python -m module args`` (see :func:`module_command`)."""
    argv, env = module_command(module, args, root)
    # execve drops this process's buffers: whatever was printed must be out first.
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(argv[0], argv, env)


def run_api(host: str, port: int, workers: int) -> NoReturn:
    """Become the HTTP API server (``python -m api``, which runs ``api.app.serve``)."""
    root = checkout_root()
    # --opt=value: a value that starts with "-" stays a value.
    exec_module("api", [f"--host={host}", f"--port={port}", f"--workers={workers}"],
                root if is_checkout(root) else None)


def run_benchmark(name: str, args: Sequence[str], root: Path) -> NoReturn:
    """Become ``bench/<name>.py`` of the checkout at ``root`` with ``args``; its exit status is ours."""
    exec_module(f"bench.{name}", args, root)
