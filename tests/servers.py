"""`rag serve` in a subprocess on 127.0.0.1 over a temporary index, for the tests that talk
to the API over real HTTP (tests/test_api.py) or through a browser (tests/test_chat_page.py).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from conftest import ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def build_index(index_dir: Path, *corpora: Path) -> Path:
    """``rag ingest`` of ``corpora`` into ``index_dir`` with the real model (about 30 s for all of corpus/laws)."""
    subprocess.run(
        [sys.executable, "-m", "rag", "ingest", *map(str, corpora), "--json"], cwd=ROOT, check=True,
        capture_output=True, env={**os.environ, "HF_HUB_OFFLINE": "1", "RAG_INDEX_DIR": str(index_dir)}, timeout=900,
    )
    return index_dir


def copy_index(seed: Path, where: Path) -> Path:
    """A copy of the index at ``seed`` in ``where``, for a server that may change it."""
    target = where / "index"
    shutil.copytree(seed, target, symlinks=True)  # `current` is a relative symlink
    return target


class Server:
    """`rag serve` in a subprocess; stdout and stderr go to one log file."""

    def __init__(self, index_dir: Path, log_path: Path, **env: str):
        self.index_dir = index_dir
        self.log_path = log_path
        self.env = {**os.environ, "HF_HUB_OFFLINE": "1", "RAG_INDEX_DIR": str(index_dir), **env}
        self.process: subprocess.Popen | None = None
        self.url = ""

    def start(self, timeout: float = 300) -> Server:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        with open(self.log_path, "a") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "rag", "serve", "--host", "127.0.0.1", "--port", str(port)],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"server exited:\n{self.log}"
            try:
                if httpx.get(self.url + "/readyz", timeout=5).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        raise AssertionError(f"server not ready after {timeout}s:\n{self.log}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def kill(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=300)

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")
