"""The throwaway PostgreSQL server with pgvector (``scripts/postgres-dev.sh``) the database tests run against.

The server is a test dependency like the browser: when it cannot be started (not installed, and
not root to install it) the tests fail and say how to get it, rather than skip.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from conftest import ROOT

SCRIPT = ROOT / "scripts" / "postgres-dev.sh"


def start(folder: Path) -> str:
    """Start a server whose cluster lives in ``folder``; its DSN (the script's last line of output)."""
    done = subprocess.run([str(SCRIPT), "start", str(folder)], capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        pytest.fail(f"{SCRIPT.name} start failed (run it once as root to install PostgreSQL 15 and pgvector):\n"
                    f"{done.stderr[-2000:]}", pytrace=False)
    return done.stdout.strip().splitlines()[-1]


def stop(folder: Path) -> None:
    """Stop the server of ``folder`` and delete the folder."""
    subprocess.run([str(SCRIPT), "stop", str(folder)], capture_output=True, text=True, timeout=120, check=True)
