"""Catch-up with the remote sinks on: `agenttail run --once` over a corpus into the local store, Supabase (PostgreSQL
with Schema/ behind the project's PostgREST server) and Langfuse (its OTLP test server) at once, against syslog-ng
shipping the same entries to HTTP. agenttail's time runs until every sink has everything; the test servers validate
each request as the real services do, and their own cost on this machine's two cores is part of the figure."""
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "Tests" / "EndToEnd"))
sys.path.insert(0, str(ROOT / "Tests" / "Servers"))


def run(agenttail: Path, work: Path, folder: Path, measure) -> tuple[float, float, int, float]:
    """Wall seconds, agenttail's CPU seconds and its peak RSS (KiB) for the corpus in `folder`, measured by
    `measure(command, work)`, and the CPU seconds the two test servers spent (PostgreSQL's not counted)."""
    os.environ["AGENTTAIL_BIN"] = str(agenttail)
    from stack import LangfuseServer, Server, Workspace  # noqa: E402
    from throwaway_postgres import throwaway_postgres  # noqa: E402

    # The test servers log every request to the standard error they inherit: to a file instead.
    log = open(work / "sinks-servers.log", "wb")
    saved = os.dup(2)
    os.dup2(log.fileno(), 2)
    try:
        return measure_with_servers(agenttail, work, folder, measure, throwaway_postgres, Server, LangfuseServer,
                                    Workspace)
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        log.close()


def measure_with_servers(agenttail, work, folder, measure, throwaway_postgres, Server, LangfuseServer, Workspace):
    with throwaway_postgres("agenttail-bench-pg-") as port:
        supabase, langfuse = Server(port), LangfuseServer()
        try:
            sinks = "\n".join([
                "  supabase:", "    url: ${SUPABASE_URL}", "    service_role_key: ${SUPABASE_SERVICE_ROLE_KEY}",
                "    timeout: 10s", langfuse.sinks().replace("timeout: 2s", "timeout: 10s")])
            workspace = Workspace(Path(tempfile.mkdtemp(prefix="bench-sinks-", dir=work)), supabase, sinks=sinks,
                                  env={"LANGFUSE_SECRET_KEY": langfuse.secret_key})
            for path in sorted(folder.glob("*.log")):
                os.link(path, workspace.logs / path.name)
            os.environ.update(workspace.env)
            result = measure(
                [str(agenttail), "run", "--once", "--config", str(workspace.config), "--log-level", "error"], work)
            import live
            servers = live.cpu_seconds(supabase.process.pid) + live.cpu_seconds(langfuse.process.pid)
            return (*result, servers)
        finally:
            supabase.stop()
            langfuse.stop()
