"""``python -m api``: run the HTTP API under uvicorn; ``rag serve`` runs this.

The options are those of ``rag serve``, which checks them first; the server itself is
:func:`api.app.serve`.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from api.app import serve


def main(argv: Sequence[str] | None = None) -> None:
    """Parse ``--host``, ``--port`` and ``--workers`` and serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m api", description="Run the HTTP API (uvicorn).")
    parser.add_argument("--host", default="127.0.0.1", help="Address to listen on (loopback by default).")
    parser.add_argument("--port", type=int, default=8000, help="TCP port.")
    parser.add_argument("--workers", type=int, default=1, help="Worker processes; each loads the model once.")
    args = parser.parse_args(argv)
    if not 1 <= args.port <= 65535 or args.workers < 1:
        parser.error("--port is 1–65535 and --workers at least 1")
    serve(args.host, args.port, args.workers)


if __name__ == "__main__":
    main()
