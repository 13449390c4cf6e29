"""Load benchmark of the HTTP API: loopback only, bounded in time, stops by itself.

Phases, each ``--duration`` seconds (60 by default):

* ``ask@1``, ``ask@16``, ``ask@32``: that many concurrent clients ask ``/v1/ask`` in a loop;
* ``mixed@16``: 16 asking clients plus one writer that adds or deletes a small document
  once a second, and after each write searches for it: a read after a committed write that
  does not see it (or still sees a deleted document) is a stale read;
* ``soak@16`` with ``--soak SECONDS``: 16 clients for that long, the server's memory read
  every 10 s, to show whether it grows with the requests served.

The questions are distinct (:mod:`bench.questions`): the dev sets' questions, KorQuAD's when
its data is on this machine, and variants of each as people write them, shuffled and never
repeated within a run until the pool is used up (what repeats is counted). A chatbot seldom
sees a question twice, so these are the figures of the uncached path. ``--repeat`` cycles
through the dev questions instead: the recurring questions an answer cache is for. Cache hits
are counted from the server's ``X-Answer-Cache`` header; ``--no-cache`` starts the server with
its cache off.

Every phase reports requests, errors (any non-2xx status or transport failure), cache hits,
requests/s, p50/p95/p99 latency, and for a server started here its CPU use (cores busy, over
all its processes) and the resident memory of each of its processes, checked against the
targets of the API and speed issues. The table is printed and the figures are written as JSON.

By default the script indexes ``corpus/news`` and ``corpus/laws`` (the article and the AI statutes) into
``bench/out/index`` (reused by later runs: unchanged documents are skipped), starts
``rag serve`` on a free loopback port with a throwaway write token, and stops it at the
end. ``--url`` (and ``--token`` for the mixed phase) targets a server already running
on this machine instead; several ``--url`` share the clients out among servers that share one
index (``RAG_STORE``), and the writer writes through the first and reads back through the last.

    .venv/bin/python bench/load.py --no-cache --workers 2   # the uncached path, about 5 minutes
    .venv/bin/python bench/load.py --repeat                 # recurring questions, from the cache
    .venv/bin/python bench/load.py --duration 5             # a smoke run
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
if __package__ in (None, ""):  # run as a script: bench/ is on the path, the project root is not
    sys.path.insert(0, str(ROOT))

from bench.processes import ProcessTree  # noqa: E402
from bench.questions import QuestionPool, eval_questions, korquad_questions  # noqa: E402

#: The documents indexed by default: the bundled article and the AI statutes (298 chunks).
SOURCES = (ROOT / "corpus" / "news", ROOT / "corpus" / "laws")
ASK_CLIENTS = (1, 16, 32)
MIXED_CLIENTS = 16
#: Where the KorQuAD questions are read from when present (never copied).
KORQUAD = ROOT.parent / "shared" / "data" / "korquad" / "KorQuAD_v1.0_dev.json"
#: How often the soak phase reads the server's memory, in seconds.
SOAK_SAMPLE_S = 10.0
#: Targets on the 2-core reference machine (issue: HTTP API).
TARGETS = {"ask@1": {"p50_ms": 25.0}, "ask@16": {"rps": 60.0, "p99_ms": 300.0}, "ask@32": {"p99_ms": 250.0},
           "mixed@16": {"p99_ms": 400.0}}
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
    stale_reads: int = 0
    cache_hits: int = 0
    repeated: int = 0
    server_cpu_s: float | None = None
    server_rss_mb: list[float] | None = None
    rss_samples: list[dict] = field(default_factory=list)

    def record(self, started: float, error: str | None, cache_hit: bool = False) -> None:
        self.latencies_ms.append((time.perf_counter() - started) * 1000)
        self.cache_hits += cache_hit
        if error:
            self.errors += 1
            if len(self.error_samples) < 5:
                self.error_samples.append(error)

    def summary(self) -> dict:
        requests = len(self.latencies_ms)
        row = {
            "phase": self.name, "clients": self.clients, "seconds": round(self.seconds, 1), "requests": requests,
            "errors": self.errors, "rps": round(requests / self.seconds, 1) if self.seconds else 0.0,
            **_percentiles(self.latencies_ms), "cache_hits": self.cache_hits, "repeated_questions": self.repeated,
        }
        if self.server_cpu_s is not None:
            row["server_cpu_s"] = round(self.server_cpu_s, 1)
            row["server_cores_busy"] = round(self.server_cpu_s / self.seconds, 2) if self.seconds else 0.0
            row["server_rss_mb"] = self.server_rss_mb
        if self.rss_samples:
            row["rss_samples"] = self.rss_samples
            row["rss_growth_mb"] = _growth(self.rss_samples)
        if self.writes:
            row["writes"] = {"count": self.writes, "errors": self.write_errors, "stale_reads": self.stale_reads,
                             **_percentiles(self.write_latencies_ms)}
        if self.error_samples:
            row["error_samples"] = self.error_samples
        row["target"] = TARGETS.get(self.name, {})
        row["meets_target"] = self.errors == 0 and self.write_errors == 0 and self.stale_reads == 0 and all(
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


def _growth(samples: list[dict]) -> dict[str, float]:
    """Per process id, resident MB at the last sample minus at the second: the first is taken
    before the soak's first requests have warmed every worker up."""
    first, last = samples[min(1, len(samples) - 1)]["rss_mb"], samples[-1]["rss_mb"]
    return {pid: round(last[pid] - mb, 1) for pid, mb in first.items() if pid in last}


# -- load ------------------------------------------------------------------------------


async def _asker(session: aiohttp.ClientSession, questions: QuestionPool, deadline: float, phase: Phase) -> None:
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        hit = False
        try:
            async with session.post("/v1/ask", json={"question": questions.take()}) as response:
                body = await response.read()
            error = None if response.status == 200 else f"{response.status}: {body[:200].decode(errors='replace')}"
            hit = response.headers.get("X-Answer-Cache") == "hit"
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            error = f"{type(exc).__name__}: {exc}"
        phase.record(started, error, hit)


async def _writer(session: aiohttp.ClientSession, reader: aiohttp.ClientSession, deadline: float, phase: Phase) -> None:
    """Once a second, add a small document or delete it again through ``session``; after each
    committed write, search for it through ``reader``: the next read must see the write (with
    several workers or servers, whichever answers)."""
    document = {"id": "bench-mixed", "title": "부하 시험 공지",
                "text": "부하 시험 중 추가된 공지다. 한빛시는 2030년 AI 센터를 열었다."}
    probe = {"query": "한빛시 AI 센터 부하 시험 공지", "k": 10}
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
            try:
                async with reader.post("/v1/search", json=probe) as response:
                    found = any(r["doc_id"] == document["id"] for r in (await response.json())["results"])
                phase.stale_reads += found != present
            except (aiohttp.ClientError, asyncio.TimeoutError, KeyError, ValueError):
                phase.stale_reads += 1
        else:
            phase.write_errors += 1
        tick += 1.0
    if present:
        async with session.delete(f"/v1/documents/{document['id']}") as response:
            await response.read()


async def run_phase(urls: list[str], token: str | None, name: str, clients: int, questions: QuestionPool | list[str],
                    duration: float, with_writer: bool, tree: ProcessTree | None = None,
                    sample_every: float | None = None) -> Phase:
    """``clients`` concurrent askers (and with ``with_writer`` one writer) for ``duration`` seconds,
    shared out among the servers at ``urls``.

    ``questions`` as a list is asked round and round; with ``tree`` (the server's processes) the
    phase records the server's CPU seconds and memory, and with ``sample_every`` its memory
    that often during the phase."""
    pool = questions if isinstance(questions, QuestionPool) else QuestionPool(questions, repeat=True)
    phase = Phase(name, clients)
    repeated_before = pool.repeated
    cpu_before = tree.cpu_seconds() if tree else 0.0
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    # aiohttp rather than httpx: the clients share the machine with the server, and
    # aiohttp spends a fraction of httpx's CPU per request, so the figures are the server's.
    sessions = [aiohttp.ClientSession(url, connector=aiohttp.TCPConnector(limit=clients + 1), headers=headers,
                                      timeout=aiohttp.ClientTimeout(total=30)) for url in urls]
    try:
        started = time.perf_counter()
        deadline = started + duration
        tasks = [_asker(sessions[n % len(sessions)], pool, deadline, phase) for n in range(clients)]
        if with_writer:
            tasks.append(_writer(sessions[0], sessions[-1], deadline, phase))
        if tree and sample_every:
            tasks.append(_sample_memory(tree, started, deadline, sample_every, phase))
        await asyncio.gather(*tasks)
        phase.seconds = time.perf_counter() - started
    finally:
        await asyncio.gather(*(session.close() for session in sessions))
    phase.repeated = pool.repeated - repeated_before
    if tree:
        phase.server_cpu_s = tree.cpu_seconds() - cpu_before
        phase.server_rss_mb = tree.rss_mb()
    return phase


async def _sample_memory(tree: ProcessTree, started: float, deadline: float, every: float, phase: Phase) -> None:
    while True:
        phase.rss_samples.append({"s": round(time.perf_counter() - started, 1), "requests": len(phase.latencies_ms),
                                  "rss_mb": {str(pid): mb for pid, mb in tree.rss_by_pid().items()}})
        if time.perf_counter() + every > deadline:
            return
        await asyncio.sleep(every)


# -- the server ------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _build_index(index_dir: Path, sources: list[Path]) -> None:
    env = {**os.environ, "RAG_INDEX_DIR": str(index_dir), "HF_HUB_OFFLINE": "1"}
    subprocess.run([sys.executable, "-m", "rag", "ingest", *map(str, sources), "--replace"], cwd=ROOT, env=env,
                   check=True)


@contextmanager
def server(index_dir: Path, token: str, workers: int, log_path: Path, cache: bool = True,
           extra_env: dict[str, str] | None = None) -> Iterator[tuple[str, subprocess.Popen]]:
    """Run ``rag serve`` on a free loopback port until ready, with ``extra_env`` in its
    environment (``RAG_STORE``, say); yield its URL and process."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "RAG_INDEX_DIR": str(index_dir), "RAG_API_TOKEN": token, "HF_HUB_OFFLINE": "1",
           **(extra_env or {})}
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


def _print_table(rows: list[dict]) -> None:
    columns = ("phase", "clients", "requests", "errors", "hits", "rps", "p50_ms", "p95_ms", "p99_ms", "max_ms",
               "cores", "rss_mb", "target", "ok")
    table = [columns] + [
        (r["phase"], r["clients"], r["requests"], r["errors"] + r.get("writes", {}).get("errors", 0), r["cache_hits"],
         r["rps"], r["p50_ms"], r["p95_ms"], r["p99_ms"], r["max_ms"], r.get("server_cores_busy", "-"),
         "/".join(f"{mb:.0f}" for mb in r.get("server_rss_mb") or []) or "-",
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
            print(f"{r['phase']}: {w['count']} writes, {w['errors']} errors, {w['stale_reads']} stale reads, "
                  f"p50 {w['p50_ms']} ms, p99 {w['p99_ms']} ms")
        if "rss_growth_mb" in r:
            start, end = r["rss_samples"][min(1, len(r["rss_samples"]) - 1)], r["rss_samples"][-1]
            for pid, growth in r["rss_growth_mb"].items():
                print(f"{r['phase']}: process {pid}: {start['rss_mb'][pid]} -> {end['rss_mb'][pid]} MB resident "
                      f"({growth:+.1f}) from {start['s']} s to {end['s']} s, over {end['requests'] - start['requests']} "
                      "requests")
        if r["repeated_questions"]:
            print(f"{r['phase']}: {r['repeated_questions']} questions asked a second time in this run")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60.0, help="Seconds per phase (default 60).")
    parser.add_argument("--url", nargs="+", help="Running servers on this machine (default: start one); several "
                        "share the clients out and must share one index (RAG_STORE).")
    parser.add_argument("--token", help="Write token of the servers, for the mixed phase.")
    parser.add_argument("--workers", type=int, default=1, help="Worker processes of the started server.")
    parser.add_argument("--no-cache", action="store_true",
                        help="Start the server with its answer cache off (RAG_ANSWER_CACHE=0).")
    parser.add_argument("--repeat", action="store_true",
                        help="Cycle through the dev questions (recurring questions) instead of distinct ones.")
    parser.add_argument("--korquad", type=Path, default=KORQUAD,
                        help="KorQuAD 1.0 file whose questions join the pool when present (read in place).")
    parser.add_argument("--soak", type=float, default=0.0,
                        help="Seconds of one more phase of 16 clients that reads the server's memory every 10 s.")
    parser.add_argument("--sources", type=Path, nargs="+", default=list(SOURCES),
                        help="What the started server's index holds (default: corpus/news and corpus/laws; "
                             "'corpus eval/inquiry_corpus' is the civic index).")
    parser.add_argument("--index-dir", type=Path, default=ROOT / "bench" / "out" / "index",
                        help="Index for the started server, made to hold exactly --sources: "
                             "any other document in it is dropped, so name a scratch folder.")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "load.json", help="JSON report.")
    args = parser.parse_args()
    if not 0 < args.duration <= 600 or not 0 <= args.soak <= 3600:
        parser.error("--duration must be in (0, 600] seconds and --soak in [0, 3600]")
    if args.url and args.no_cache:
        parser.error("--no-cache applies to the server this script starts, not to --url")
    if args.url and any(urlparse(url).hostname not in _LOOPBACK for url in args.url):
        parser.error("--url must be a loopback address (127.0.0.1, localhost or ::1)")
    args.out.parent.mkdir(parents=True, exist_ok=True)

    pool = _pool(args)
    with _target(args) as (urls, token, tree):
        url = " ".join(urls)
        readiness = httpx.get(urls[0] + "/readyz", timeout=30).json()
        cache = "external server" if args.url else "off" if args.no_cache else "on"
        print(f"{url}: {readiness}; {len(pool)} {'recurring' if args.repeat else 'distinct'} questions; "
              f"{args.duration:g} s per phase; answer cache {cache}", flush=True)
        phases = []
        for clients in ASK_CLIENTS:
            phases.append(asyncio.run(run_phase(urls, None, f"ask@{clients}", clients, pool, args.duration,
                                                with_writer=False, tree=tree)))
            print(f"  {phases[-1].name}: {len(phases[-1].latencies_ms)} requests", flush=True)
        if token:
            phases.append(asyncio.run(run_phase(urls, token, f"mixed@{MIXED_CLIENTS}", MIXED_CLIENTS, pool,
                                                args.duration, with_writer=True, tree=tree)))
        else:
            print("  mixed phase skipped: no write token (--token)", file=sys.stderr)
        if args.soak:
            phases.append(asyncio.run(run_phase(urls, None, f"soak@{MIXED_CLIENTS}", MIXED_CLIENTS, pool, args.soak,
                                                with_writer=False, tree=tree, sample_every=SOAK_SAMPLE_S)))
    rows = [phase.summary() for phase in phases]
    report = {"url": url, "index": readiness, "duration_s": args.duration, "workers": args.workers,
              "answer_cache": cache, "questions": {"pool": len(pool), "distinct": not args.repeat},
              "cpus": os.cpu_count(), "load_average": os.getloadavg(), "phases": rows}
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=1))
    _print_table(rows)
    print(f"written: {args.out}")
    if not all(row["errors"] == 0 and row.get("writes", {}).get("errors", 0) == 0 for row in rows):
        sys.exit(1)


def _pool(args: argparse.Namespace) -> QuestionPool:
    """The questions of the run: the dev sets' (recurring with ``--repeat``), KorQuAD's when present."""
    base = eval_questions(ROOT / "eval")
    if args.repeat:
        return QuestionPool(base, repeat=True)
    if args.korquad.is_file():
        return QuestionPool(base, korquad_questions(args.korquad))
    print(f"  KorQuAD not found at {args.korquad}: the pool holds the dev questions and their variants only",
          file=sys.stderr)
    return QuestionPool(base)


@contextmanager
def _target(args: argparse.Namespace) -> Iterator[tuple[list[str], str | None, ProcessTree | None]]:
    """The servers to load, their write token and, when started here, its processes: ``--url`` as given, or one started here."""
    if args.url:
        yield [url.rstrip("/") for url in args.url], args.token, None
        return
    _build_index(args.index_dir, args.sources)
    token = secrets.token_urlsafe(24)  # throwaway: only this run's writer knows it
    log = args.out.with_suffix(".server.log")
    with server(args.index_dir, token, args.workers, log, cache=not args.no_cache) as (url, process):
        yield [url], token, ProcessTree(process.pid)


if __name__ == "__main__":
    main()
