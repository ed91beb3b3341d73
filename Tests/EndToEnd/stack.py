"""Helpers for the end-to-end tests: the agenttail binary, the Supabase and Langfuse test servers, workspaces."""
import contextlib
import json
import os
import re
import secrets
import signal
import sqlite3
import ssl
import string
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import datetime
from decimal import Decimal
from pathlib import Path


ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "Tests" / "Servers"))
from postgrest_emulator import make_jwt  # noqa: E402

BINARY = Path(os.environ.get("AGENTTAIL_BIN", ROOT / ".build" / "debug" / "agenttail"))
FIXTURES = ROOT / "Tests" / "AgentTailTests" / "Fixtures" / "mini-agent"
CLAUDE_CODE_FIXTURES = ROOT / "Tests" / "AgentTailTests" / "Fixtures" / "claude-code"
SECRET = "test-jwt-secret-with-at-least-32-characters"
TABLES = ["agent_sessions", "llm_calls", "tool_executions", "agent_errors"]
JSON_COLUMNS = {"input", "arguments", "metadata"}


class Server:
    """The PostgREST-compatible server in a subprocess, with its keys and fault controls."""

    def __init__(self, database_port: int, max_rows: int | None = None,
                 restarting: "Server | None" = None):
        """`restarting`: a server stopped earlier, whose port and keys this one takes, as a restarted project."""
        now = int(time.time())
        self.service_key = make_jwt(SECRET, {"role": "service_role", "iss": "supabase", "iat": now, "exp": now + 86400})
        self.anon_key = make_jwt(SECRET, {"role": "anon", "iss": "supabase", "iat": now, "exp": now + 86400})
        # The project's current keys, as a new Supabase project has them.
        self.sb_secret_key = "sb_secret_" + "".join(secrets.choice(string.ascii_letters) for _ in range(32))
        self.sb_publishable_key = "sb_publishable_" + "".join(secrets.choice(string.ascii_letters) for _ in range(32))
        port = 0
        if restarting:
            port = int(restarting.url.rsplit(":", 1)[1])
            for key in ("service_key", "anon_key", "sb_secret_key", "sb_publishable_key"):
                setattr(self, key, getattr(restarting, key))
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "Tests/Servers/postgrest_emulator.py"),
             "--database-url", f"postgresql://authenticator:authenticator@127.0.0.1:{database_port}/postgres",
             "--jwt-secret", SECRET, "--anon-key", self.anon_key, "--service-key", self.service_key,
             "--secret-key", self.sb_secret_key, "--publishable-key", self.sb_publishable_key, "--port", str(port),
             *(["--max-rows", str(max_rows)] if max_rows else [])],
            stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        assert line.startswith("listening on "), f"test server did not start: {line!r}"
        self.url = f"http://127.0.0.1:{int(line.split()[-1])}"

    def control(self, path: str, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method="POST" if data is not None else "GET",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10, context=getattr(self, "ssl_context", None)) as response:
            text = response.read()
            return json.loads(text) if text else None

    def faults(self, **settings):
        return self.control("/__faults", settings)

    def requests(self):
        return self.control("/__requests")

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=10)


def fixture_store(root: Path, claude_code: bool = False) -> Path:
    """The Mini-Agent fixtures (and Claude Code's when asked), as finished runs, read by `run --once` into a local
    store under `root`; returns the configuration that reads it."""
    sources = [("mini-agent", FIXTURES, "*.log")] + ([("claude-code", CLAUDE_CODE_FIXTURES, "*.jsonl")] if claude_code else [])
    config = [f"state:\n  path: {root}/state.sqlite\nsinks:\n  local:\n    path: {root}/events.sqlite\nsources:"]
    for name, fixtures, pattern in sources:
        folder = root / name
        folder.mkdir(parents=True)
        for path in fixtures.glob(pattern):
            (folder / path.name).write_bytes(path.read_bytes())
            # Dated in the past, so that silence has concluded them.
            os.utime(folder / path.name, (time.time() - 7200, time.time() - 7200))
        config.append(f"  - name: {name}\n    paths: ['{folder}/{pattern}']\n    rules: builtin:{name}\n"
                      "    start_at: beginning")
    path = root / "agenttail.yaml"
    path.write_text("\n".join(config) + "\n")
    subprocess.run([str(BINARY), "run", "--once", "--config", str(path), "--log-level", "error"], check=True,
                   capture_output=True)
    return path


class Workspace:
    """Logs, a config with the local and Supabase sinks, and helpers to run agenttail on them."""

    def __init__(self, root: Path, server, key: str | None = None, batch_size: int = 500, sinks: str | None = None,
                 env: dict | None = None, claude_code: bool = False):
        self.root = root
        self.logs = root / "logs"
        self.logs.mkdir(parents=True)
        self.store = root / "events.sqlite"
        self.config = root / "agenttail.yaml"
        supabase = "\n".join([
            "  supabase:", "    url: ${SUPABASE_URL}", "    service_role_key: ${SUPABASE_SERVICE_ROLE_KEY}",
            f"    batch_size: {batch_size}", "    timeout: 2s"])
        self.transcripts = root / "claude" / "projects" / "-home-dev-app"
        claude_source = "\n".join([
            "  - name: claude-code", f'    paths: ["{self.transcripts}/*.jsonl"]', "    rules: builtin:claude-code",
            "    session_timeout: 1h"]) if claude_code else ""
        self.config.write_text(f"""
sources:
  - name: mini-agent
    paths: ["{self.logs}/*.log"]
    session_timeout: 1h
{claude_source}
state:
  path: {root}/state.sqlite
sinks:
  local:
    path: {self.store}
{sinks or supabase}
""")
        self.env = dict(os.environ, SUPABASE_URL=server.url,
                        SUPABASE_SERVICE_ROLE_KEY=key or getattr(server, "service_key", ""),
                        LANGFUSE_SECRET_KEY=getattr(server, "secret_key", ""))
        self.env.update(env or {})

    def add_fixtures(self):
        for path in sorted(FIXTURES.glob("*.log")):
            target = self.logs / path.name
            target.write_bytes(path.read_bytes())
            os.utime(target, (time.time() - 7200, time.time() - 7200))

    def add_claude_code_fixtures(self):
        """Copies the Claude Code transcripts, as finished sessions; returns their facts (expected.json)."""
        self.transcripts.mkdir(parents=True, exist_ok=True)
        for path in sorted(CLAUDE_CODE_FIXTURES.glob("*.jsonl")):
            target = self.transcripts / path.name
            target.write_bytes(path.read_bytes())
            os.utime(target, (time.time() - 7200, time.time() - 7200))
        return json.loads((CLAUDE_CODE_FIXTURES / "expected.json").read_text())

    def run(self, *arguments, check=True, timeout=120):
        result = subprocess.run([str(BINARY), *arguments, "--config", str(self.config)], env=self.env,
                                capture_output=True, text=True, timeout=timeout)
        if check:
            assert result.returncode == 0, result.stderr
        return result

    def start(self, *arguments):
        return subprocess.Popen([str(BINARY), "run", "--config", str(self.config), *arguments], env=self.env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def local_rows(self, table):
        with sqlite3.connect(self.store) as connection:
            connection.row_factory = sqlite3.Row
            return [dict(row) for row in connection.execute(f"select * from {table} order by id")]


class PrivateCA:
    """A private CA and a certificate it signs for 127.0.0.1 and localhost, made with the openssl command."""

    def __init__(self, folder: Path):
        folder.mkdir(parents=True, exist_ok=True)
        self.ca_cert, self.ca_key = folder / "ca.pem", folder / "ca.key"
        self.server_cert, self.server_key = folder / "server.pem", folder / "server.key"
        names = folder / "names.ext"
        names.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
        for command in [
            ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", self.ca_key, "-out", self.ca_cert, "-days",
             "2", "-subj", "/CN=agenttail test CA"],
            ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", self.server_key, "-out", folder / "server.csr",
             "-subj", "/CN=localhost"],
            ["x509", "-req", "-in", folder / "server.csr", "-CA", self.ca_cert, "-CAkey", self.ca_key,
             "-CAcreateserial", "-out", self.server_cert, "-days", "2", "-extfile", names],
        ]:
            subprocess.run(["openssl", *map(str, command)], check=True, capture_output=True)


class LangfuseServer:
    """The Langfuse OTLP test server in a subprocess, with its keys and fault controls."""

    public_key = "pk-lf-test"
    secret_key = "sk-lf-test"

    def __init__(self, tls: "PrivateCA | None" = None):
        """With `tls`, the server speaks HTTPS with a certificate signed by the test CA."""
        arguments = ["--tls-cert", str(tls.server_cert), "--tls-key", str(tls.server_key)] if tls else []
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "Tests/Servers/langfuse_otlp_server.py"), "--public-key", self.public_key,
             "--secret-key", self.secret_key, "--port", "0", *arguments], stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        assert line.startswith("listening on "), f"test server did not start: {line!r}"
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{int(line.split()[-1])}"
        self.ssl_context = ssl.create_default_context(cafile=str(tls.ca_cert)) if tls else None

    control = Server.control
    faults = Server.faults
    requests = Server.requests
    stop = Server.stop

    def store(self):
        return self.control("/__store")

    def sinks(self, batch_spans: int = 500) -> str:
        """The config's sinks section; the secret key is read from LANGFUSE_SECRET_KEY (see `Workspace`)."""
        return f"""  langfuse:
    host: {self.url}
    public_key: {self.public_key}
    secret_key: ${{LANGFUSE_SECRET_KEY}}
    batch_spans: {batch_spans}
    timeout: 2s"""


def same_value(postgres_value, local_value, column: str = "") -> bool:
    """True when a PostgreSQL value and the local store's (SQLite) value of one column mean the same."""
    if postgres_value is None or local_value is None:
        return postgres_value is None and local_value is None
    if column in JSON_COLUMNS:
        # jsonb comes back decoded, whatever JSON value it holds (a string too); SQLite keeps the JSON text.
        return postgres_value == json.loads(local_value)
    if isinstance(postgres_value, bool):
        return postgres_value == bool(local_value)
    if isinstance(postgres_value, datetime):
        return postgres_value == datetime.fromisoformat(local_value.replace("Z", "+00:00"))
    if isinstance(postgres_value, Decimal):
        # numeric comes back exact; SQLite keeps a REAL, whose shortest text must be the same number.
        return postgres_value == Decimal(str(local_value))
    if isinstance(postgres_value, (dict, list)):
        return postgres_value == json.loads(local_value)
    return str(postgres_value) == str(local_value)


def postgres_rows(admin, table):
    with admin.cursor() as cursor:
        cursor.execute(f"select * from {table} order by id")
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]


def assert_same_rows(admin, workspace):
    """Every table in PostgreSQL holds exactly the local store's rows, compared column by column."""
    total = 0
    for table in TABLES:
        local = workspace.local_rows(table)
        remote = postgres_rows(admin, table)
        assert [str(row["id"]) for row in remote] == [row["id"] for row in local], table
        for remote_row, local_row in zip(remote, local):
            assert set(remote_row) == set(local_row), table
            for column, value in remote_row.items():
                assert same_value(value, local_row[column], column), (table, column, value, local_row[column])
        total += len(local)
    return total


def wait_for(condition, timeout: float, message, interval: float = 0.05):
    """Polls `condition` until it returns something truthy, which is returned; fails with `message()` (or the
    message string) once `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, message() if callable(message) else message
        time.sleep(interval)


def poison(admin, message: str = "poisoned row"):
    """Makes the database refuse one tool row of the fixtures (`bash` with `ls -la`) with `message`."""
    with admin.cursor() as cursor:
        cursor.execute(f"""
            create or replace function reject_poison() returns trigger language plpgsql as $$
            begin
                if new.tool_name = 'bash' and new.arguments->>'command' = 'ls -la' then
                    raise exception '{message}';
                end if;
                return new;
            end $$;
            drop trigger if exists reject_poison on tool_executions;
            create trigger reject_poison before insert on tool_executions for each row execute function reject_poison();
        """)


def cure(admin):
    """Takes back what `poison` did."""
    with admin.cursor() as cursor:
        cursor.execute("drop trigger if exists reject_poison on tool_executions; "
                       "drop function if exists reject_poison();")


@contextlib.contextmanager
def serving(arguments: list, announcement: str, env: dict | None = None):
    """Runs the agenttail binary with `arguments` until the block ends; yields the match of `announcement`, the
    regular expression of the line it writes to stderr once it serves. What it logs afterwards is read and dropped,
    so that a full pipe never stops it."""
    process = subprocess.Popen([str(BINARY), *arguments], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True, env=env)
    try:
        seen = []
        for line in process.stderr:
            seen.append(line)
            match = re.search(announcement, line)
            if match:
                break
        else:
            raise AssertionError(f"agenttail {arguments[0]} did not start: {''.join(seen)!r}")
        threading.Thread(target=process.stderr.read, daemon=True).start()
        yield match
    finally:
        process.terminate()
        process.wait(timeout=10)
