"""``rag serve`` and ``rag bench speed|latency|scale`` start the API and the benchmarks
as programs of their own.

``rag`` must not import ``api`` or ``bench`` (tests/test_architecture.py), so these
commands become ``python -m api``, ``python -m bench.speed`` …; here without the model:
the commands they build, and one real exec of a stand-in program.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rag import launch
from rag.cli import app

from conftest import ROOT


@pytest.fixture
def execs(monkeypatch) -> list[tuple[str, list[str], Path | None]]:
    """What the commands would exec, recorded instead of replacing the test process."""
    calls: list[tuple[str, list[str], Path | None]] = []

    def record(module, args, root=None):
        calls.append((module, list(args), root))
        raise SystemExit(0)

    monkeypatch.setattr(launch, "exec_module", record)
    return calls


def test_serve_becomes_python_m_api_with_its_options(execs):
    result = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0", "--port", "9001", "--workers", "2"])
    assert result.exit_code == 0, result.output
    assert execs == [("api", ["--host=0.0.0.0", "--port=9001", "--workers=2"], ROOT)]


def test_serve_defaults_and_checks_its_options_before_starting(execs):
    assert CliRunner().invoke(app, ["serve"]).exit_code == 0
    assert execs == [("api", ["--host=127.0.0.1", "--port=8000", "--workers=1"], ROOT)]
    assert CliRunner().invoke(app, ["serve", "--workers", "0"]).exit_code == 2
    assert len(execs) == 1


def test_serve_from_an_install_finds_the_api_where_rag_is_installed(execs, monkeypatch, tmp_path):
    import rag

    monkeypatch.setattr(rag, "__file__", str(tmp_path / "site-packages" / "rag" / "__init__.py"))
    assert CliRunner().invoke(app, ["serve"]).exit_code == 0
    assert execs[0][2] is None  # no checkout to put first: the installed api, beside rag


def test_bench_speed_becomes_python_m_bench_speed_of_the_checkout(execs):
    result = CliRunner().invoke(app, ["bench", "speed", "--quick", "--out", "some/dir"])
    assert result.exit_code == 0, result.output
    # A relative --out stays relative: exec keeps the working directory.
    assert execs == [("bench.speed", ["--quick", "--out", "some/dir"], ROOT)]


def test_bench_latency_becomes_python_m_bench_latency_with_its_options(execs):
    result = CliRunner().invoke(app, ["bench", "latency", "--index-dir", "idx", "--corpus", "a", "--corpus", "b",
                                      "--json", "out.json"])
    assert result.exit_code == 0, result.output
    assert execs == [("bench.latency", ["--index-dir", "idx", "--corpus", "a", "b", "--json", "out.json"], ROOT)]
    assert CliRunner().invoke(app, ["bench", "latency"]).exit_code == 2  # the index is not optional
    assert len(execs) == 1


def test_bench_scale_becomes_python_m_bench_scale_with_its_options(execs):
    result = CliRunner().invoke(app, ["bench", "scale", "--statutes", "all.tar.xz", "--corpus", "a", "--postgres",
                                      "--load-seconds", "5", "--json", "out.json"])
    assert result.exit_code == 0, result.output
    assert execs == [("bench.scale", ["--statutes", "all.tar.xz", "--load-seconds", "5.0", "--corpus", "a",
                                      "--postgres", "--json", "out.json"], ROOT)]


def test_the_command_runs_this_interpreter_safe_path_checkout_first(monkeypatch):
    monkeypatch.setenv("PYTHONPATH", "/elsewhere")
    argv, env = launch.module_command("bench.speed", ["--quick"], Path("/checkout"))
    assert argv == [sys.executable, "-P", "-m", "bench.speed", "--quick"]
    assert env["PYTHONPATH"] == os.pathsep.join(["/checkout", "/elsewhere"])
    monkeypatch.delenv("PYTHONPATH")
    assert launch.module_command("api", [], Path("/checkout"))[1]["PYTHONPATH"] == "/checkout"
    assert "PYTHONPATH" not in launch.module_command("api", [])[1]


def test_exec_becomes_the_program_keeps_output_and_passes_its_exit_status(tmp_path):
    program = "import sys\nprint('program', sys.argv[1:], __file__)\nsys.exit(7)\n"
    (tmp_path / "checkout").mkdir()
    (tmp_path / "checkout" / "stand_in.py").write_text(program)
    (tmp_path / "cwd").mkdir()
    (tmp_path / "cwd" / "stand_in.py").write_text("raise SystemExit('the current directory shadowed the checkout')")
    script = ("from pathlib import Path\nfrom rag.launch import exec_module\nprint('before')\n"
              f"exec_module('stand_in', ['a', 'b c'], Path({str(tmp_path / 'checkout')!r}))\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path / "cwd", env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 7, result.stderr
    # "before" went out although stdout is a pipe (block-buffered): exec flushed it first.
    assert result.stdout.splitlines() == ["before", f"program ['a', 'b c'] {tmp_path / 'checkout' / 'stand_in.py'}"]


def test_python_m_api_parses_the_serve_options(monkeypatch):
    import api.__main__ as api_main

    served = []
    monkeypatch.setattr(api_main, "serve", lambda host, port, workers: served.append((host, port, workers)))
    api_main.main(["--port=9002", "--workers=3"])
    api_main.main(["--host=::1"])
    assert served == [("127.0.0.1", 9002, 3), ("::1", 8000, 1)]
    with pytest.raises(SystemExit):
        api_main.main(["--workers", "0"])


def test_serving_workers_share_the_cpus_unless_threads_are_set(monkeypatch):
    from api.app import _shared_cpus
    from rag.embedding.threads import available_cpus, shared_threads

    monkeypatch.delenv("RAG_THREADS", raising=False)
    with _shared_cpus(1):
        assert "RAG_THREADS" not in os.environ  # one worker: every CPU, the engines' default
    with _shared_cpus(2):
        assert os.environ["RAG_THREADS"] == str(max(1, available_cpus() // 2))
    assert "RAG_THREADS" not in os.environ
    monkeypatch.setenv("RAG_THREADS", "3")
    with _shared_cpus(2):
        assert os.environ["RAG_THREADS"] == "3"  # the operator's choice stands
    assert shared_threads(1000) == 1 and shared_threads(1) == available_cpus()
