"""Operating agenttail as a service: /metrics scraped while logs grow, /healthz through a sink's outage, and the
dead-letters command on rows the Supabase test server refused."""
import json
import socket
import re
import sqlite3
import threading
import time
import urllib.error
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from stack import FIXTURES, Server, Workspace, cure, poison, postgres_rows, wait_for


class Running:
    """`agenttail run` in the background with its log lines gathered, and the address it serves metrics on."""

    def __init__(self, workspace, *arguments):
        self.process = workspace.start("--log-level", "info", *arguments)
        self.lines = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        line = wait_for(lambda: next((l for l in self.lines if "serving /metrics" in l), None), 60,
                        lambda: "no metrics address in:\n" + "\n".join(self.lines))
        self.url = "http://" + re.search(r"address=(\S+)", line).group(1)

    def _read(self):
        for line in self.process.stderr:
            self.lines.append(line.rstrip("\n"))

    def get(self, path):
        try:
            with urllib.request.urlopen(self.url + path, timeout=10) as response:
                return response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read().decode()

    def metrics(self):
        """Every sample, by name and then by its labels (as a sorted tuple), through the official parser."""
        status, headers, text = self.get("/metrics")
        assert status == 200 and headers["Content-Type"].startswith("text/plain; version=0.0.4")
        samples = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                samples.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
        return samples

    def stop(self):
        """Stops it with SIGTERM; its exit status, with its log when that is not 0."""
        self.process.terminate()
        self.process.wait(timeout=20)
        self.reader.join(timeout=5)
        if self.process.returncode != 0:
            print("\n".join(self.lines))
        return self.process.returncode


def with_metrics(workspace, health=""):
    text = workspace.config.read_text()
    workspace.config.write_text(text + f"metrics:\n  listen: 127.0.0.1:0\n{health}")


def store_counts(workspace):
    with sqlite3.connect(workspace.store) as connection:
        return {
            "sessions_ended": connection.execute(
                "select count(*) from agent_sessions where status <> 'running'").fetchone()[0],
            "tools": connection.execute("select count(*) from tool_executions").fetchone()[0],
            "errors": connection.execute("select count(*) from agent_errors").fetchone()[0],
            "parse_errors": connection.execute(
                "select count(*) from agent_errors where source = 'parser'").fetchone()[0],
            "calls": connection.execute("select count(*) from llm_calls").fetchone()[0],
        }


def test_metrics_agree_with_the_store_while_logs_grow(workspace, admin):
    with_metrics(workspace)
    running = Running(workspace)
    try:
        fixtures = sorted(FIXTURES.glob("*.log"))
        written = 0
        for path in fixtures:
            data = path.read_bytes()
            target = workspace.logs / path.name
            # Each log grows in three writes, as an agent writes it, with a scrape between them.
            for part in (data[:len(data) // 3], data[len(data) // 3:2 * len(data) // 3], data[2 * len(data) // 3:]):
                with open(target, "ab") as log:
                    log.write(part)
                written += len(part)
                samples = running.metrics()
                assert samples["agenttail_read_bytes_total"].get((("source", "mini-agent"),), 0) <= written
        # Every byte read, and every file's place published (just after its bytes are counted). Rows are counted
        # just after their commit, so a scrape can trail the store by one commit: wait for both to agree.
        def settled():
            samples = running.metrics()
            counts = store_counts(workspace)
            committed = samples["agenttail_rows_committed_total"]
            if (samples["agenttail_read_bytes_total"].get((("source", "mini-agent"),)) == written
                    and samples["agenttail_files_followed"][()] == len(fixtures)
                    and committed.get((("table", "tool_executions"),)) == counts["tools"] == 8
                    and committed.get((("table", "agent_errors"),)) == counts["errors"]):
                return samples, counts
            return None
        read, counts = wait_for(settled, 30, lambda: f"metrics and store disagree: {store_counts(workspace)}")
        assert read["agenttail_lag_bytes"][()] == 0
        # The run whose model API failed is still open (it ends once silent, an hour here): its last request has
        # no row yet. Everything else is in the store.
        assert counts["calls"] == 8
        committed = read["agenttail_rows_committed_total"]
        assert committed[(("table", "llm_calls"),)] >= counts["calls"]
        assert read["agenttail_parse_errors_total"][(("source", "mini-agent"),)] == counts["parse_errors"]
        assert read["agenttail_read_records_total"][(("source", "mini-agent"),)] == \
            read["agenttail_parsed_records_total"][(("source", "mini-agent"),)] + counts["parse_errors"]
        # Everything reaches Supabase: nothing waits, and the latency histogram counted every row delivered.
        done = wait_for(
            lambda: (lambda s: s if s["agenttail_outbox_rows"][(("sink", "supabase"),)] == 0 else None)(
                running.metrics()), 30, "rows still wait for supabase")
        delivered = done["agenttail_rows_delivered_total"][(("sink", "supabase"),)]
        assert delivered >= len(postgres_rows(admin, "tool_executions")) + len(postgres_rows(admin, "llm_calls"))
        assert done["agenttail_delivery_latency_seconds_count"][(("sink", "supabase"),)] >= delivered
        assert done["agenttail_outbox_oldest_age_seconds"][(("sink", "supabase"),)] == 0
        assert done["process_resident_memory_bytes"][()] > 1 << 20
        assert done["process_cpu_seconds_total"][()] > 0
        assert done["process_open_fds"][()] > 0
    finally:
        assert running.stop() == 0


def test_a_session_that_ends_is_counted_and_told(tmp_path, server):
    workspace = Workspace(tmp_path, server)
    # Sessions conclude after two seconds of silence.
    workspace.config.write_text(workspace.config.read_text().replace("session_timeout: 1h", "session_timeout: 2s"))
    with_metrics(workspace)
    running = Running(workspace)
    try:
        fixture = sorted(FIXTURES.glob("*.log"))[0]
        (workspace.logs / fixture.name).write_bytes(fixture.read_bytes())
        wait_for(lambda: any("following a new file" in line for line in running.lines), 30, "the file was not told")
        line = wait_for(lambda: next((l for l in running.lines if re.search(r" info session \w+ ", l)), None), 30,
                        lambda: "no session end in:\n" + "\n".join(running.lines))
        status = re.search(r" info session (\w+) ", line).group(1)
        samples = running.metrics()
        assert samples["agenttail_sessions_concluded_total"][(("status", status),)] == 1
        assert sum(samples["agenttail_sessions_concluded_total"].values()) == 1
        assert store_counts(workspace)["sessions_ended"] == 1
    finally:
        assert running.stop() == 0
    # The last summary line says what happened.
    summary = next(line for line in running.lines if "since the last summary" in line)
    assert f"sessions_{status}=1" in summary and "rows_committed=" in summary


def test_healthz_fails_while_the_sink_is_down_and_recovers(tmp_path, database, admin):
    server = Server(database)
    workspace = Workspace(tmp_path, server)
    with_metrics(workspace, "  health:\n    delivery_within: 2s\n")
    running = Running(workspace)
    try:
        assert running.get("/healthz")[:3:2] == (200, "ok\n")
        server.stop()
        workspace.add_fixtures()
        # Unhealthy once rows have waited 2 s; the reason names the sink's last error once it has failed.
        status, _, body = wait_for(lambda: (lambda answer: answer if answer[0] == 503 and "last error" in answer[2]
                                            else None)(running.get("/healthz")), 60,
                                   "healthz did not report the sink that is down")
        assert re.fullmatch(
            r"sink supabase: \d+ rows waiting, the oldest for \d+s \(more than 2s\); last error: .+\n", body), body
        server = Server(database, restarting=server)
        wait_for(lambda: running.get("/healthz")[0] == 200, 90,
                 lambda: "healthz did not recover with the sink: " + running.get("/healthz")[2] + "\n".join(running.lines))
        assert running.get("/healthz")[2] == "ok\n"
        assert len(postgres_rows(admin, "llm_calls")) == 9
    finally:
        assert running.stop() == 0
        server.stop()


def test_unknown_paths_and_methods_are_refused(workspace):
    with_metrics(workspace)
    running = Running(workspace)
    try:
        status, _, body = running.get("/")
        assert status == 404 and "/metrics and /healthz" in body
        request = urllib.request.Request(running.url + "/metrics", data=b"x", method="POST")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == 405
    finally:
        assert running.stop() == 0


def test_metrics_refuse_a_remote_address_unless_allowed(workspace):
    workspace.config.write_text(workspace.config.read_text() + "metrics:\n  listen: 0.0.0.0:9464\n")
    result = workspace.run("check", check=False)
    assert result.returncode == 2
    assert re.search(r"agenttail.yaml:\d+:\d+: error: metrics.listen: 0.0.0.0 is reachable from other machines",
                     result.stderr), result.stderr


@pytest.fixture
def poisoned(workspace, admin):
    """The fixtures shipped with one tool row refused by the database: one dead letter."""
    poison(admin)
    workspace.add_fixtures()
    workspace.run("run", "--once", check=False)
    yield workspace
    cure(admin)


def test_dead_letters_list_and_show(poisoned):
    listed = poisoned.run("dead-letters", "list")
    lines = listed.stdout.splitlines()
    assert lines[0].split() == ["ID", "SINK", "TABLE", "AGE", "REASON"]
    assert len(lines) == 2 and lines[1].split()[1:3] == ["supabase", "tool_executions"]
    assert "poisoned row" in lines[1]
    letter_id = lines[1].split()[0]
    [shown] = json.loads(poisoned.run("dead-letters", "show", letter_id).stdout)
    assert shown["sink"] == "supabase" and shown["table"] == "tool_executions" and "poisoned row" in shown["reason"]
    assert shown["row"]["tool_name"] == "bash" and shown["row"]["arguments"]["command"] == "ls -la"
    assert shown["row"]["id"] == shown["event_id"]
    # A sink the configuration does not have (a typo) is refused rather than listing nothing.
    typo = poisoned.run("dead-letters", "list", "--sink", "supabse", check=False)
    assert typo.returncode == 2 and "supabse is not a sink of" in typo.stderr and "its sinks are supabase" in typo.stderr
    assert json.loads(poisoned.run("dead-letters", "list", "--reason", "POISONED", "--json").stdout)[0]["id"] == \
        int(letter_id)
    assert json.loads(poisoned.run("dead-letters", "list", "--reason", "timeout", "--json").stdout) == []
    missing = poisoned.run("dead-letters", "show", "999", check=False)
    assert missing.returncode == 1 and "no dead letter with id 999" in missing.stderr


def test_dead_letter_refused_again_keeps_the_new_reason_then_succeeds_once_fixed(poisoned, admin):
    poison(admin, "still poisoned")
    again = poisoned.run("dead-letters", "retry", check=False)
    assert again.returncode == 1
    assert "supabase: 1 row retried: 0 delivered, 1 refused again, 0 still waiting" in again.stdout
    [letter] = json.loads(poisoned.run("dead-letters", "list", "--json").stdout)
    assert "still poisoned" in letter["reason"]
    assert len(postgres_rows(admin, "tool_executions")) == 7
    cure(admin)
    fixed = poisoned.run("dead-letters", "retry")
    assert "supabase: 1 row retried: 1 delivered, 0 refused again, 0 still waiting" in fixed.stdout
    assert json.loads(poisoned.run("dead-letters", "list", "--json").stdout) == []
    remote = postgres_rows(admin, "tool_executions")
    assert len(remote) == 8 and any((row["arguments"] or {}).get("command") == "ls -la" for row in remote)
    # Nothing is left for the sink, and a normal run sends nothing again.
    assert '"dead_letters":0' in poisoned.run("status", "--json").stdout.replace(" ", "")
    poisoned.run("run", "--once")
    assert len(postgres_rows(admin, "tool_executions")) == 8


def test_dead_letter_retry_while_the_sink_is_down_waits_in_the_queue(poisoned, admin, server):
    cure(admin)
    server.faults(fail_ratio=1.0, fail_status=503)
    down = poisoned.run("dead-letters", "retry", "--sink", "supabase", "--wait", "2s", check=False)
    assert down.returncode == 1
    assert "1 still waiting" in down.stdout and "HTTP 503" in down.stdout
    assert json.loads(poisoned.run("dead-letters", "list", "--json").stdout) == []
    server.faults()
    poisoned.run("run", "--once")
    assert len(postgres_rows(admin, "tool_executions")) == 8


def test_dead_letters_purge_asks_for_yes(poisoned):
    asked = poisoned.run("dead-letters", "purge", check=False)
    assert asked.returncode == 1 and "1 dead letter would be deleted; pass --yes" in asked.stdout
    assert len(json.loads(poisoned.run("dead-letters", "list", "--json").stdout)) == 1
    assert poisoned.run("dead-letters", "purge", "--sink", "supabase", "--yes").stdout.strip() == \
        "1 dead letter deleted"
    assert poisoned.run("dead-letters", "list").stdout.strip() == "no dead letters"
    unknown = poisoned.run("dead-letters", "retry", "--sink", "langfuse", check=False)
    assert unknown.returncode == 2 and "langfuse is not a sink of" in unknown.stderr


def test_systemd_hears_ready_watchdog_and_stopping(workspace, tmp_path):
    """The notify protocol of `Type=notify` with `WatchdogSec=`, against a socket as systemd would hold it."""
    path = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as notify:
        notify.bind(str(path))
        notify.settimeout(30)
        workspace.env.update(NOTIFY_SOCKET=str(path), WATCHDOG_USEC="400000")
        workspace.add_fixtures()
        process = workspace.start()
        try:
            ready = notify.recv(4096).decode()
            assert ready.splitlines()[0] == "READY=1"
            # Ready means the first scan is committed.
            assert len(workspace.local_rows("llm_calls")) == 9
            assert [notify.recv(4096).decode() for _ in range(3)] == ["WATCHDOG=1"] * 3
        finally:
            process.terminate()
            assert process.wait(timeout=20) == 0
        messages = []
        notify.settimeout(1)
        while True:
            try:
                messages.append(notify.recv(4096).decode())
            except socket.timeout:
                break
        assert "STOPPING=1" in messages
