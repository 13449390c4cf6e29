"""The throwaway PostgreSQL server with pgvector (``scripts/postgres-dev.sh``) the database tests run against.

The server is a test dependency like the browser: when it cannot be started (not installed, and
not root to install it) the tests fail and say how to get it, rather than skip. One server runs
for the whole session (:func:`postgres_server`); each test that writes gets a database of its own
(:func:`database_dsn`).
"""

from __future__ import annotations

import subprocess
import tempfile
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conftest import ROOT

SCRIPT = ROOT / "scripts" / "postgres-dev.sh"


def server_folder() -> Path:
    """A folder for a cluster beside the tests' temporary folders, not inside them: started by
    root, the server runs as the postgres user, which must reach it (pytest's base folder is
    private to root)."""
    return Path(tempfile.mkdtemp(prefix="rag-postgres-test-"))


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


@pytest.fixture(scope="session")
def postgres_server():
    """The DSN of a server started for this test session (its ``rag`` database stays empty)."""
    folder = server_folder()
    try:
        yield start(folder)
    finally:
        stop(folder)


def create_database(server: str) -> str:
    """A new, empty database on the server at DSN ``server``; its DSN."""
    import psycopg

    name = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    return urlsplit(server)._replace(path=f"/{name}").geturl()


def drop_database(server: str, dsn: str) -> None:
    """Drop the database of ``dsn`` (on the server at ``server``), whoever is still connected."""
    import psycopg

    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE {urlsplit(dsn).path.lstrip('/')} WITH (FORCE)")


def seed_database(server: str, index_dir: Path) -> str:
    """A new database holding the index at ``index_dir`` (its live generation and analyses)."""
    from rag.answer.analysis import ANALYSIS_VERSION
    from rag.index import IndexStore
    from rag.index.postgres import PostgresStore

    dsn = create_database(server)
    store = PostgresStore(dsn)
    try:
        store.commit(IndexStore(index_dir).load())
        for path in (index_dir / "analysis" / ANALYSIS_VERSION).glob("*.jsonl"):
            store.put_analysis(ANALYSIS_VERSION, path.stem, path.read_bytes())
    finally:
        store.close()
    return dsn


@pytest.fixture
def database_dsn(postgres_server):
    """The DSN of a new, empty database on the session's server, dropped after the test."""
    dsn = create_database(postgres_server)
    yield dsn
    drop_database(postgres_server, dsn)
