#!/usr/bin/env python3
"""Measures delivery on this machine: `agenttail run --once` over COPIES copies of the sample logs, with the local
store and one remote sink on, against the project's test servers.

    python3 scripts/measure_delivery.py supabase [COPIES]   # PostgreSQL with Schema/ behind the PostgREST server
    python3 scripts/measure_delivery.py langfuse [COPIES]   # the Langfuse OTLP server

Build first: swift build -c release. Prints items delivered per second and HTTP requests per 1,000 items.
"""
import os
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("AGENTTAIL_BIN", str(ROOT / ".build" / "release" / "agenttail"))
sys.path.insert(0, str(ROOT / "Tests" / "EndToEnd"))
from stack import TABLES, LangfuseServer, Server, Workspace  # noqa: E402
from throwaway_postgres import throwaway_postgres  # noqa: E402

sink = sys.argv[1] if len(sys.argv) > 1 else "supabase"
copies = int(sys.argv[2]) if len(sys.argv) > 2 else 200
if sink not in ("supabase", "langfuse"):
    sys.exit("usage: measure_delivery.py supabase|langfuse [COPIES]")

with throwaway_postgres("agenttail-measure-pg-") if sink == "supabase" else nullcontext() as port:
    server = Server(port) if sink == "supabase" else LangfuseServer()
    sinks = None if sink == "supabase" else server.sinks()
    workspace = Workspace(Path(tempfile.mkdtemp(prefix="agenttail-measure-")), server, sinks=sinks)
    for copy in range(copies):
        for sample in sorted((ROOT / "examples" / "logs").glob("*.log")):
            target = workspace.logs / f"{copy:05d}_{sample.name}"
            target.write_bytes(sample.read_bytes())
            os.utime(target, (time.time() - 7200, time.time() - 7200))
    started = time.monotonic()
    workspace.run("run", "--once", "--log-level", "warning", timeout=3600)
    elapsed = time.monotonic() - started
    requests = server.requests()["count"]
    if sink == "supabase":
        items, unit = sum(len(workspace.local_rows(table)) for table in TABLES), "rows"
    else:
        items, unit = len({o["id"] for o in server.control("/__store")["observations"]}), "spans"
    print(f"{sink}: {items} {unit} from {copies * 4} files in {elapsed:.2f} s: {items / elapsed:.0f} {unit}/s "
          f"(parsing and the local store included), {requests} requests = {1000 * requests / items:.1f} "
          f"per 1,000 {unit}")
    server.stop()
