#!/usr/bin/env python3
"""Measures delivery to Supabase on this machine: a throwaway PostgreSQL with Schema/, the PostgREST-compatible
test server in front of it, and `agenttail run --once` over COPIES copies of the sample logs (both sinks on).

    python3 scripts/measure_supabase_delivery.py [COPIES]     (build first: swift build -c release)

Prints rows delivered per second and HTTP requests per 1,000 rows.
"""
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("AGENTTAIL_BIN", str(ROOT / ".build" / "release" / "agenttail"))
sys.path.insert(0, str(ROOT / "Tests" / "EndToEnd"))
from stack import TABLES, Server, Workspace  # noqa: E402
from throwaway_postgres import throwaway_postgres  # noqa: E402

copies = int(sys.argv[1]) if len(sys.argv) > 1 else 200
with throwaway_postgres("agenttail-measure-pg-") as port:
    server = Server(port)
    workspace = Workspace(Path(tempfile.mkdtemp(prefix="agenttail-measure-")), server)
    for copy in range(copies):
        for sample in sorted((ROOT / "examples" / "logs").glob("*.log")):
            target = workspace.logs / f"{copy:05d}_{sample.name}"
            target.write_bytes(sample.read_bytes())
            os.utime(target, (time.time() - 7200, time.time() - 7200))
    started = time.monotonic()
    workspace.run("run", "--once", "--log-level", "warning", timeout=3600)
    elapsed = time.monotonic() - started
    rows = sum(len(workspace.local_rows(table)) for table in TABLES)
    requests = server.requests()
    print(f"{rows} rows from {copies * 4} files in {elapsed:.2f} s: {rows / elapsed:.0f} rows/s (parse, local store "
          f"and Supabase together), {requests['count']} requests = {1000 * requests['count'] / rows:.1f} per 1,000 rows")
    server.stop()
