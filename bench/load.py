"""Load benchmark of the HTTP API: loopback only, bounded in time, stops by itself.

Phases, each ``--duration`` seconds (60 by default):

* ``ask@1``, ``ask@16``, ``ask@32``: that many concurrent clients ask ``/v1/ask`` in a loop,
  cycling through the questions of ``eval/*.jsonl`` (answerable and unanswerable);
* ``mixed@16``: 16 asking clients plus one writer that adds or deletes a small document
  once a second.

Every phase reports requests, errors (any non-2xx status or transport failure),
requests/s and p50/p95/p99 latency, checked against the targets of the API issue. The
table is printed and the figures are written as JSON.

The questions repeat, so with the default settings most asks after the first round are
answered from the server's answer cache (``RAG_ANSWER_CACHE``), as repeated chatbot
questions are; ``--no-cache`` starts the server with the cache off, so every request
retrieves and extracts an answer. Run both to see the service and its engine.

By default the script indexes ``corpus/news`` and ``corpus/laws`` (the article and the AI statutes) into
``bench/out/index`` (reused by later runs: unchanged documents are skipped), starts
``rag serve`` on a free loopback port with a throwaway write token, and stops it at the
end. ``--url`` (and ``--token`` for the mixed phase) targets a server already running
on this machine instead.

    .venv/bin/python bench/load.py                 # the full run, about 5 minutes
    .venv/bin/python bench/load.py --no-cache      # every ask retrieves and answers
    .venv/bin/python bench/load.py --duration 5    # a smoke run
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator
from urllib.parse import urlparse

import aiohttp
import httpx

ROOT = Path(__file__).resolve().parents[1]
#: The documents indexed by default: the bundled article and the AI statutes (298 chunks).
SOURCES = (ROOT / "corpus" / "news", ROOT / "corpus" / "laws")
ASK_CLIENTS = (1, 16, 32)
MIXED_CLIENTS = 16
#: Targets on the 2-core reference machine (issue: HTTP API).
TARGETS = {"ask@1": {"p50_ms": 25.0}, "ask@16": {"rps": 60.0}, "ask@32": {"p99_ms": 250.0}}
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@dataclass
class Phase:
    """What one phase measured."""

    name: str
    clients: int
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    writes: int = 0
    write_errors: int = 0
    write_latencies_ms: list[float] = field(default_factory=list)

    def record(self, started: float, error: str | None) -> None:
        self.latencies_ms.append((time.perf_counter() - started) * 1000)
        if error:
            self.errors += 1
            if len(self.error_samples) < 5:
                self.error_samples.append(error)

    def summary(self) -> dict:
        requests = len(self.latencies_ms)
        row = {
            "phase": self.name, "clients": self.clients, "seconds": round(self.seconds, 1), "requests": requests,
            "errors": self.errors, "rps": round(requests / self.seconds, 1) if self.seconds else 0.0,
            **_percentiles(self.latencies_ms),
        }
        if self.writes:
            row["writes"] = {"count": self.writes, "errors": self.write_errors,
                             **_percentiles(self.write_latencies_ms)}
        if self.error_samples:
            row["error_samples"] = self.error_samples
        row["target"] = TARGETS.get(self.name, {})
        row["meets_target"] = self.errors == 0 and self.write_errors == 0 and all(
            row[key] <= limit if key.endswith("_ms") else row[key] >= limit for key, limit in row["target"].items()
        )
        return row


def _percentiles(values: list[float]) -> dict[str, float | None]:
    if len(values) < 2:
        only = round(values[0], 1) if values else None
        return {"p50_ms": only, "p95_ms": only, "p99_ms": only, "max_ms": only}
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50_ms": round(cuts[49], 1), "p95_ms": round(cuts[94], 1), "p99_ms": round(cuts[98], 1),
            "max_ms": round(max(values), 1)}


# -- load ------------------------------------------------------------------------------


async def _asker(session: aiohttp.ClientSession, questions: list[str], offset: int, deadline: float,
                 phase: Phase) -> None:
    n = offset
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        try:
            async with session.post("/v1/ask", json={"question": questions[n % len(questions)]}) as response:
                body = await response.read()
            error = None if response.status == 200 else f"{response.status}: {body[:200].decode(errors='replace')}"
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            error = f"{type(exc).__name__}: {exc}"
        phase.record(started, error)
        n += 1


async def _writer(session: aiohttp.ClientSession, deadline: float, phase: Phase) -> None:
    """Once a second, add a small document or delete it again."""
    document = {"id": "bench-mixed", "title": "부하 시험 공지",
                "text": "부하 시험 중 추가된 공지다. 한빛시는 2030년 AI 센터를 열었다."}
    tick = time.perf_counter()
    present = False
    while tick < deadline:
        await asyncio.sleep(max(0.0, tick - time.perf_counter()))
        started = time.perf_counter()
        try:
            if present:
                request = session.delete(f"/v1/documents/{document['id']}")
            else:
                request = session.post("/v1/documents", json=document)
            async with request as response:
                await response.read()
            ok = response.status in (201, 204)
        except (aiohttp.ClientError, asyncio.TimeoutError):
            ok = False
        phase.writes += 1
        phase.write_latencies_ms.append((time.perf_counter() - started) * 1000)
        if ok:
            present = not present
        else:
            phase.write_errors += 1
        tick += 1.0
    if present:
        async with session.delete(f"/v1/documents/{document['id']}") as response:
            await response.read()


async def run_phase(url: str, token: str | None, name: str, clients: int, questions: list[str], duration: float,
                    with_writer: bool) -> Phase:
    phase = Phase(name, clients)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    # aiohttp rather than httpx: the clients share the machine with the server, and
    # aiohttp spends a fraction of httpx's CPU per request, so the figures are the server's.
    connector = aiohttp.TCPConnector(limit=clients + 1)
    async with aiohttp.ClientSession(url, connector=connector, headers=headers,
                                     timeout=aiohttp.ClientTimeout(total=30)) as session:
        started = time.perf_counter()
        deadline = started + duration
        tasks = [_asker(session, questions, i * 7, deadline, phase) for i in range(clients)]
        if with_writer:
            tasks.append(_writer(session, deadline, phase))
        await asyncio.gather(*tasks)
        phase.seconds = time.perf_counter() - started
    return phase


# -- the server ------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _build_index(index_dir: Path) -> None:
    env = {**os.environ, "RAG_INDEX_DIR": str(index_dir), "HF_HUB_OFFLINE": "1"}
    subprocess.run([sys.executable, "-m", "rag", "ingest", *map(str, SOURCES), "--replace"], cwd=ROOT, env=env,
                   check=True)


@contextmanager
def server(index_dir: Path, token: str, workers: int, log_path: Path,
           cache: bool = True) -> Iterator[tuple[str, subprocess.Popen]]:
    """Run ``rag serve`` on a free loopback port until ready; yield its URL and process."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "RAG_INDEX_DIR": str(index_dir), "RAG_API_TOKEN": token, "HF_HUB_OFFLINE": "1"}
    if not cache:
        env["RAG_ANSWER_CACHE"] = "0"
    with open(log_path, "w") as log:
        command = [sys.executable, "-m", "rag", "serve", "--port", str(port), "--workers", str(workers)]
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 300
        while True:
            if process.poll() is not None:
                raise SystemExit(f"rag serve exited with {process.returncode}; see {log_path}")
            try:
                if httpx.get(url + "/readyz", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"rag serve not ready after 300 s; see {log_path}")
            time.sleep(0.5)
        yield url, process
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()


# -- report ------------------------------------------------------------------------------


def _questions() -> list[str]:
    """Every question of the eval sets, the turns of the dialogue set's conversations included. Read as
    plain JSON: the load client imports nothing of rag, so it stays light beside the server."""
    questions = []
    for path in sorted((ROOT / "eval").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                questions += [turn["question"] for turn in row.get("turns", [row])]
    return questions


def _print_table(rows: list[dict]) -> None:
    columns = ("phase", "clients", "requests", "errors", "rps", "p50_ms", "p95_ms", "p99_ms", "max_ms", "target", "ok")
    table = [columns] + [
        (r["phase"], r["clients"], r["requests"], r["errors"] + r.get("writes", {}).get("errors", 0), r["rps"],
         r["p50_ms"], r["p95_ms"], r["p99_ms"], r["max_ms"],
         ", ".join(f"{k} {'≤' if k.endswith('_ms') else '≥'} {v:g}" for k, v in r["target"].items()) or "0 errors",
         "yes" if r["meets_target"] else "NO")
        for r in rows
    ]
    widths = [max(len(str(row[i])) for row in table) for i in range(len(columns))]
    for row in table:
        print("  ".join(str(cell).rjust(width) for cell, width in zip(row, widths, strict=True)))
    for r in rows:
        if "writes" in r:
            w = r["writes"]
            print(f"{r['phase']}: {w['count']} writes, {w['errors']} errors, p50 {w['p50_ms']} ms, "
                  f"p99 {w['p99_ms']} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60.0, help="Seconds per phase (default 60).")
    parser.add_argument("--url", help="A running server on this machine (default: start one).")
    parser.add_argument("--token", help="Write token of --url, for the mixed phase.")
    parser.add_argument("--workers", type=int, default=1, help="Worker processes of the started server.")
    parser.add_argument("--no-cache", action="store_true",
                        help="Start the server with its answer cache off (RAG_ANSWER_CACHE=0).")
    parser.add_argument("--index-dir", type=Path, default=ROOT / "bench" / "out" / "index",
                        help="Index for the started server, made to hold exactly corpus/ and the statutes: "
                             "any other document in it is dropped, so name a scratch folder.")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "load.json", help="JSON report.")
    args = parser.parse_args()
    if not 0 < args.duration <= 600:
        parser.error("--duration must be in (0, 600] seconds")
    if args.url and args.no_cache:
        parser.error("--no-cache applies to the server this script starts, not to --url")
    if args.url and urlparse(args.url).hostname not in _LOOPBACK:
        parser.error("--url must be a loopback address (127.0.0.1, localhost or ::1)")
    args.out.parent.mkdir(parents=True, exist_ok=True)

    questions = _questions()
    with _target(args) as (url, token):
        readiness = httpx.get(url + "/readyz", timeout=30).json()
        cache = "external server" if args.url else "off" if args.no_cache else "on"
        print(f"{url}: {readiness}; {len(questions)} questions; {args.duration:g} s per phase; "
              f"answer cache {cache}", flush=True)
        phases = []
        for clients in ASK_CLIENTS:
            phases.append(asyncio.run(run_phase(url, None, f"ask@{clients}", clients, questions, args.duration,
                                                with_writer=False)))
            print(f"  {phases[-1].name}: {len(phases[-1].latencies_ms)} requests", flush=True)
        if token:
            phases.append(asyncio.run(run_phase(url, token, f"mixed@{MIXED_CLIENTS}", MIXED_CLIENTS, questions,
                                                args.duration, with_writer=True)))
        else:
            print("  mixed phase skipped: no write token (--token)", file=sys.stderr)
    rows = [phase.summary() for phase in phases]
    report = {"url": url, "index": readiness, "duration_s": args.duration, "workers": args.workers,
              "answer_cache": cache, "cpus": os.cpu_count(), "load_average": os.getloadavg(), "phases": rows}
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=1))
    _print_table(rows)
    print(f"written: {args.out}")
    if not all(row["errors"] == 0 and row.get("writes", {}).get("errors", 0) == 0 for row in rows):
        sys.exit(1)


@contextmanager
def _target(args: argparse.Namespace) -> Iterator[tuple[str, str | None]]:
    """The server to load and its write token: ``--url`` as given, or one started here."""
    if args.url:
        yield args.url.rstrip("/"), args.token
        return
    _build_index(args.index_dir)
    token = secrets.token_urlsafe(24)  # throwaway: only this run's writer knows it
    log = args.out.with_suffix(".server.log")
    with server(args.index_dir, token, args.workers, log, cache=not args.no_cache) as (url, _process):
        yield url, token


if __name__ == "__main__":
    main()
