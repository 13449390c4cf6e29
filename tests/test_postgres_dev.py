"""``scripts/postgres-dev.sh``: a real PostgreSQL 15 server with pgvector, on loopback, started and removed."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import numpy as np
import pytest

import database

pytestmark = pytest.mark.database


@pytest.fixture
def folder():
    path = database.server_folder()
    yield path
    database.stop(path)


def test_a_server_on_loopback_holds_vectors_and_sparse_vectors_and_goes_away(folder):
    import psycopg
    from pgvector import SparseVector
    from pgvector.psycopg import register_vector

    dsn = database.start(folder)
    url = urlsplit(dsn)
    assert url.scheme == "postgresql" and url.hostname == "127.0.0.1" and url.path == "/rag"
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((300, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    with psycopg.connect(dsn, autocommit=True) as connection:
        register_vector(connection)
        assert connection.execute("SHOW listen_addresses").fetchone()[0] == "127.0.0.1"
        version = connection.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()[0]
        assert tuple(map(int, version.split(".")[:2])) >= (0, 7)  # sparsevec came with 0.7
        connection.execute("CREATE TABLE chunk (id int PRIMARY KEY, embedding vector(384), terms sparsevec(1000))")
        with connection.cursor() as cursor:
            cursor.executemany("INSERT INTO chunk VALUES (%s, %s, %s)",
                               [(i, v, SparseVector({i % 1000: 1.0, 7: 0.5}, 1000)) for i, v in enumerate(vectors)])
        connection.execute("CREATE INDEX ON chunk USING hnsw (embedding vector_ip_ops)")
        connection.execute("SET enable_seqscan = off")  # the HNSW index answers, not a scan
        for query in vectors[:5] + 0.05 * rng.standard_normal((5, 384)).astype(np.float32):
            plan = connection.execute("EXPLAIN SELECT id FROM chunk ORDER BY embedding <#> %s LIMIT 3", (query,)).fetchall()
            assert any("chunk_embedding_idx" in line for (line,) in plan)
            found = connection.execute("SELECT id FROM chunk ORDER BY embedding <#> %s LIMIT 1", (query,)).fetchone()[0]
            assert found == int(np.argmax(vectors @ query))
        score = connection.execute("SELECT -(terms <#> %s) FROM chunk WHERE id = 3",
                                   (SparseVector({3: 2.0, 7: 4.0}, 1000),)).fetchone()[0]
        assert score == pytest.approx(2.0 * 1.0 + 4.0 * 0.5)
    assert database.start(folder) == dsn  # started twice: the same server
    database.stop(folder)
    assert not folder.exists()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", url.port), timeout=2).close()
