"""Each sink at its own pace: an outage or a hanging connection in one sink never delays another, and `run --once`
finishes its work through intermittent failures, or gives up on a dead sink after --max-wait with every file read.

Latencies are measured from the write of a run's log to its session row in PostgreSQL; the figures are printed."""
import time
from datetime import datetime

from faults import (MiniAgentLog, append, both_sinks_workspace, compare_with_reference, fault_seed, kill, wait_for,
                    write_plan)

SAMPLES = 20


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def arrival_latencies(workspace, admin, label: str) -> list[float]:
    """Writes SAMPLES finished runs one after another, each as one write; returns, for each, the seconds from the
    write to its session row being readable in PostgreSQL."""
    latencies = []
    for index in range(SAMPLES):
        log = MiniAgentLog(datetime(2026, 12, 1, 9, 0, index))
        text = (log.header() + log.request([{"role": "user", "content": f"{label} {index}"}])
                + log.response("Done."))
        path = workspace.logs / f"agent_run_{label}_{index:03d}.log"
        started = time.monotonic()
        path.write_text(text)

        def arrived():
            with admin.cursor() as cursor:
                cursor.execute("select 1 from agent_sessions where source_path = %s", (str(path),))
                found = cursor.fetchone() is not None
            admin.rollback()
            return found

        wait_for(arrived, 60, f"the session of {path.name} never reached PostgreSQL", interval=0.005)
        latencies.append(time.monotonic() - started)
    return latencies


def test_one_sink_down_or_hanging_never_delays_the_other(tmp_path, admin, server, langfuse):
    """Supabase's rows arrive as fast while Langfuse answers 503 to everything, and while it holds every
    connection open without answering, as when both are healthy."""
    workspace = both_sinks_workspace(tmp_path, server, langfuse)
    process = workspace.start("--log-level", "error")
    try:
        arrival_latencies(workspace, admin, "warm-up")  # started and watching; not measured
        healthy = arrival_latencies(workspace, admin, "healthy")
        langfuse.faults(fail_ratio=1.0, fail_status=503)
        failing = arrival_latencies(workspace, admin, "failing")
        langfuse.faults(delay_ratio=1.0, delay_seconds=30)
        hanging = arrival_latencies(workspace, admin, "hanging")
    finally:
        langfuse.faults()
        kill(process)
    figures = {name: (sorted(values)[len(values) // 2], p99(values))
               for name, values in (("both healthy", healthy), ("Langfuse 503", failing),
                                    ("Langfuse hanging", hanging))}
    print("Supabase arrival latency, " + "; ".join(
        f"{name}: p50 {p50 * 1000:.0f} ms, p99 {worst * 1000:.0f} ms" for name, (p50, worst) in figures.items()))
    # Same latency: a shared retry timer made it many seconds (one backoff round of the failing sink per delivery).
    bound = max(3 * figures["both healthy"][1], figures["both healthy"][1] + 0.5)
    for name in ("Langfuse 503", "Langfuse hanging"):
        assert figures[name][1] <= bound, f"{name}: p99 {figures[name][1]:.3f} s against {bound:.3f} s healthy bound"


def test_run_once_goes_through_intermittent_failures_to_the_end(tmp_path, admin, server, langfuse):
    """A long catch-up into sinks that fail about half the time, Langfuse asking for pauses: no failure count ends
    it early; everything is read and delivered, exit 0, and the result equals a clean run."""
    seed = fault_seed()
    workspace = both_sinks_workspace(tmp_path / "run", server, langfuse, batch_size=20, batch_spans=20)
    for piece in write_plan(seed, files=12, steps=6):
        append(workspace.logs, piece)
    server.faults(fail_ratio=0.5, seed=seed)
    langfuse.faults(fail_ratio=0.3, throttle_ratio=0.3, retry_after=0, seed=seed)
    started = time.monotonic()
    result = workspace.run("run", "--once", "--log-level", "error", timeout=600)
    server.faults()
    langfuse.faults()
    failures = sum(count for status, count in server.requests()["statuses"].items() if status != "200")
    print(f"seed {seed}: caught up in {time.monotonic() - started:.1f} s through {failures} failed Supabase requests "
          f"and {langfuse.requests()['statuses']} Langfuse answers")
    assert failures > 6, "the servers failed too rarely for the test to mean anything"
    assert result.returncode == 0, result.stderr
    assert "sink supabase: " in result.stdout and "sink langfuse: " in result.stdout and "nothing waits" in result.stdout
    outcome = compare_with_reference(tmp_path / "reference", workspace, admin, server, langfuse)
    print(outcome.figures())
    outcome.check(admin, workspace)


def test_run_once_gives_up_on_a_dead_sink_after_max_wait_with_every_file_read(tmp_path, admin, server, langfuse):
    """Langfuse fails every request: Supabase gets everything, every file is read, and after --max-wait without a
    successful delivery Langfuse is given up with a summary that says what waits and why; exit 1."""
    workspace = both_sinks_workspace(tmp_path, server, langfuse)
    workspace.add_fixtures()
    langfuse.faults(fail_ratio=1.0, fail_status=503)
    started = time.monotonic()
    result = workspace.run("run", "--once", "--max-wait", "3s", "--log-level", "error", check=False, timeout=120)
    elapsed = time.monotonic() - started
    langfuse.faults()
    assert result.returncode == 1, result.stderr
    assert 3 <= elapsed < 60, f"gave up after {elapsed:.1f} s with --max-wait 3s"
    local = {table: len(workspace.local_rows(table)) for table in ("agent_sessions", "llm_calls")}
    assert local == {"agent_sessions": 4, "llm_calls": 9}, local
    assert "sink supabase: " in result.stdout and ", nothing waits" in result.stdout
    assert "error: sink langfuse gave up after 3s without a successful delivery: " in result.stderr
    assert "rows wait in the outbox for the next run (0 delivered)" in result.stderr
    assert "left unread" not in result.stderr
    with admin.cursor() as cursor:
        cursor.execute("select count(*) from llm_calls")
        assert cursor.fetchone()[0] == 9
    admin.rollback()
    # The next run delivers what waited.
    again = workspace.run("run", "--once", "--log-level", "error")
    assert "sink langfuse: " in again.stdout and "nothing waits" in again.stdout
    assert langfuse.requests()["statuses"].get("200", 0) > 0
