"""`agenttail ui` in a headless Chromium: every page on a seeded store, links from problems to their evidence, filters,
a session that updates live while its log is written, and what it refuses. Screenshots of each page are kept in
.build/artefacts/ for a person to look at."""
import json
import os
import socket
import sqlite3
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime

import pytest

from dashboard import dashboard
from devtools import DevTools
from mini_agent_log import MiniAgentLog
from stack import BINARY, ROOT, fixture_store

ARTEFACTS = ROOT / ".build" / "artefacts"
READY = "document.documentElement.getAttribute('data-ready') === '1'"
# What an agent may write: markup that would run, and markup that would break the page.
HOSTILE = "<script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\"></svg></table>"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """The Mini-Agent and Claude Code fixtures in an embedded store, with markup planted in a task, an output and
    an error message."""
    root = tmp_path_factory.mktemp("ui")
    config = fixture_store(root, claude_code=True)
    with sqlite3.connect(root / "events.sqlite") as db:
        db.execute("UPDATE agent_sessions SET task = ? WHERE id = (SELECT id FROM agent_sessions "
                   "WHERE source_path LIKE '%01_single_tool%')", (HOSTILE,))
        db.execute("UPDATE llm_calls SET output = ? WHERE rowid = (SELECT min(rowid) FROM llm_calls)", (HOSTILE,))
        db.execute("UPDATE agent_errors SET message = ? WHERE source = 'tool'", (HOSTILE,))
    return config, root / "events.sqlite"


@pytest.fixture
def browser(tmp_path):
    browser = DevTools(tmp_path / "profile")
    yield browser
    browser.close()


def rows(store_path, sql, *arguments):
    with sqlite3.connect(f"file:{store_path}?mode=ro", uri=True) as db:
        return db.execute(sql, arguments).fetchall()


def test_every_page_loads_and_a_screenshot_is_kept(store, browser):
    config, path = store
    failed = rows(path, "SELECT id FROM agent_sessions WHERE status = 'failed'")[0][0]
    sessions = rows(path, "SELECT count(*) FROM agent_sessions")[0][0]
    with dashboard(config) as base:
        pages = [
            ("overview", "/?from=2025-08-01", "Overview"),
            ("sessions", "/sessions", "Sessions"),
            ("session", f"/sessions/{failed}", f"Session {failed[:8]}"),
            ("tools", "/tools?from=2025-08-01", "Tools"),
            ("tool", "/tools/bash?from=2025-08-01", "Tool bash"),
            ("errors", "/errors?from=2025-08-01", "Errors"),
        ]
        for name, page, heading in pages:
            for size, (width, height, mobile) in {"laptop": (1280, 900, False), "phone": (390, 844, True)}.items():
                browser.resize(width, height, mobile)
                browser.open(base + page, ready=READY)
                assert browser.evaluate("document.querySelector('main h1').textContent") == heading
                # Nothing wider than the screen but what scrolls inside its own box.
                assert browser.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), (name, size)
                shot = ARTEFACTS / f"ui-{name}-{size}.png"
                browser.screenshot(shot)
                assert shot.stat().st_size > 15_000, f"{shot.name} looks empty"
        browser.resize(1280, 900)
        browser.open(base + "/sessions", ready=READY)
        assert browser.evaluate("document.querySelectorAll('main tbody tr').length") == sessions
        # The failed session's timeline has a bar for each call and tool run, and marks the row its problem names.
        browser.open(f"{base}/sessions/{failed}", ready=READY)
        calls, tools = (rows(path, f"SELECT count(*) FROM {table} WHERE session_id = ?", failed)[0][0]
                        for table in ("llm_calls", "tool_executions"))
        assert browser.evaluate("document.querySelectorAll('svg.timeline a.row').length") == calls + tools
        assert browser.evaluate("document.querySelectorAll('svg.timeline a.flagged').length") >= 1


def test_a_problem_links_to_its_evidence_in_the_session(store, browser):
    config, path = store
    [(session, evidence)] = rows(path, "SELECT session_id, evidence FROM session_problems")
    first = json.loads(evidence)[0]
    with dashboard(config) as base:
        browser.open(base + "/?from=2025-08-01", ready=READY)
        link = ("Array.from(document.querySelectorAll('section a'))"
                ".find(a => a.textContent.includes('ended without a response'))")
        href = browser.evaluate(f"{link}.getAttribute('href')")
        assert href == f"/sessions/{session}#row-{first}"
        browser.evaluate(f"{link}.click()")
        browser.wait_for(f"location.pathname === '/sessions/{session}' && document.readyState === 'complete'")
        browser.wait_for(READY)
        # The evidence is open, highlighted and in view.
        browser.wait_for(f"document.getElementById('row-{first}').open === true")
        assert browser.evaluate(f"document.getElementById('row-{first}').classList.contains('flagged')")
        assert browser.evaluate(f"document.getElementById('row-{first}').getBoundingClientRect().top < innerHeight")


def test_the_list_filters_and_sorts(store, browser):
    config, path = store
    with dashboard(config) as base:
        browser.open(base + "/sessions", ready=READY)
        browser.evaluate("document.querySelector('select[name=status]').value = 'failed'")
        browser.evaluate("document.querySelector('form.filters').submit()")
        browser.wait_for("location.search.includes('status=failed')")
        browser.wait_for(READY)
        failed = rows(path, "SELECT id FROM agent_sessions WHERE status = 'failed' ORDER BY started_at DESC, id DESC")
        shown = browser.evaluate("Array.from(document.querySelectorAll('main tbody tr td:first-child a'))"
                                 ".map(a => a.getAttribute('href'))")
        assert shown == [f"/sessions/{id}" for (id,) in failed]
        # Text in the task, any case.
        browser.open(base + "/sessions?text=CONTENTS", ready=READY)
        expected = rows(path, "SELECT count(*) FROM agent_sessions WHERE task LIKE '%contents%'")[0][0]
        assert browser.evaluate("document.querySelectorAll('main tbody tr').length") == expected >= 1
        # Longest first.
        browser.open(base + "/sessions?order=longest", ready=READY)
        durations = rows(path, "SELECT id FROM agent_sessions ORDER BY duration_ms IS NULL, duration_ms DESC, id")
        shown = browser.evaluate("Array.from(document.querySelectorAll('main tbody tr td:first-child a'))"
                                 ".map(a => a.getAttribute('href'))")
        assert shown == [f"/sessions/{id}" for (id,) in durations]


def test_planted_markup_renders_as_text(store, browser):
    config, _ = store
    with dashboard(config) as base:
        for page in ("/sessions", "/errors?from=2025-08-01", "/?from=2025-08-01"):
            browser.open(base + page, ready=READY)
            assert "pwned" not in browser.evaluate("document.title")
            assert browser.evaluate("document.querySelectorAll('main img, main script').length") == 0
            assert "<script>document.title='pwned'</script>" in browser.evaluate("document.querySelector('main').innerText")
        sessions = browser.evaluate("Array.from(document.querySelectorAll('main a[href^=\"/sessions/\"]'))"
                                    ".map(a => new URL(a.href).pathname)")
        for page in sorted(set(sessions)):
            browser.open(base + page, ready=READY)
            # Open every folded text, so that the planted output is in the page's live DOM.
            browser.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
            assert "pwned" not in browser.evaluate("document.title")
            assert browser.evaluate("document.querySelectorAll('main img, main script').length") == 0


def request(url, headers=None, source=None):
    """GET `url` (from the local address `source` when given); (status, headers, body)."""
    if source:
        parts = urllib.parse.urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        with socket.create_connection((parts.hostname, parts.port), timeout=10, source_address=(source, 0)) as connection:
            lines = [f"GET {target} HTTP/1.1", f"Host: {parts.netloc}", "Connection: close"]
            lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
            connection.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
            answer = b""
            while chunk := connection.recv(65536):
                answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        fields = dict(line.split(": ", 1) for line in head.decode().split("\r\n")[1:])
        return int(head.split()[1]), fields, body
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=10) as response:
            if response.headers.get("Content-Type") == "text/event-stream":
                return response.status, dict(response.headers), response.readline()
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_every_answer_carries_the_policy_and_foreign_hosts_are_refused(store):
    config, path = store
    session = rows(path, "SELECT id FROM agent_sessions LIMIT 1")[0][0]
    with dashboard(config) as base:
        answers = {page: request(base + page) for page in (
            "/", "/sessions", f"/sessions/{session}", "/sessions/nope", "/tools", "/tools/bash", "/errors",
            "/assets/dashboard.css", "/assets/dashboard.js", "/nowhere", "/sessions?status=bogus", "/events")}
        answers["Host: evil.example"] = request(base + "/", {"Host": "evil.example"})
        for page, (status, headers, _) in answers.items():
            policy = headers.get("Content-Security-Policy", "")
            assert "default-src 'none'" in policy and "script-src 'self'" in policy, page
            assert headers.get("X-Content-Type-Options") == "nosniff", page
        assert {page: status for page, (status, _, _) in answers.items()} == {
            "/": 200, "/sessions": 200, f"/sessions/{session}": 200, "/sessions/nope": 404, "/tools": 200,
            "/tools/bash": 200, "/errors": 200, "/assets/dashboard.css": 200, "/assets/dashboard.js": 200,
            "/nowhere": 404, "/sessions?status=bogus": 400, "/events": 200, "Host: evil.example": 403}
        # A page that rebinds its own name to this machine cannot read the dashboard.
        assert b"localhost only" in answers["Host: evil.example"][2]
        # No page asks for anything from elsewhere.
        for page in ("/", "/sessions", f"/sessions/{session}"):
            body = answers[page][2].decode()
            assert "http://" not in body.replace(base, "") and "https://" not in body


def local_address():
    """A non-loopback address of this machine (one is added to `lo` when there is none)."""
    listing = subprocess.run(["ip", "-4", "-o", "addr"], capture_output=True, text=True, check=True).stdout
    for line in listing.splitlines():
        address = line.split()[3].split("/")[0]
        if not address.startswith("127."):
            return address
    subprocess.run(["ip", "addr", "add", "198.51.100.7/32", "dev", "lo"], check=True)
    return "198.51.100.7"


def test_other_machines_need_the_token(store, tmp_path):
    config, _ = store
    refused = subprocess.run([str(BINARY), "ui", "--config", str(config), "--listen", "0.0.0.0:0"],
                             capture_output=True, text=True, timeout=30)
    assert refused.returncode == 2 and "0.0.0.0 is not a loopback address" in refused.stderr
    short = subprocess.run([str(BINARY), "ui", "--config", str(config), "--listen", "0.0.0.0:0", "--allow-remote"],
                           capture_output=True, text=True, timeout=30, env=dict(os.environ, AGENTTAIL_UI_TOKEN="short"))
    assert short.returncode == 2 and "needs a token of 16 characters or more" in short.stderr
    token = "t0ken-" + os.urandom(12).hex()
    (tmp_path / "token").write_text(token + "\n")
    address = local_address()
    with dashboard(config, "--listen", "0.0.0.0:0", "--allow-remote", "--token-file", str(tmp_path / "token")) as base:
        port = base.rsplit(":", 1)[1]
        url = f"http://{address}:{port}/sessions"
        status, headers, body = request(url, source=address)
        assert status == 401 and b"needs its token" in body
        assert "default-src 'none'" in headers["Content-Security-Policy"]
        assert request(url, {"Authorization": "Bearer wrong-" + token}, source=address)[0] == 401
        assert request(url, {"Authorization": f"Bearer {token}"}, source=address)[0] == 200
        # Opening the page with the token once keeps it in a cookie and takes it out of the address.
        status, headers, _ = request(f"{url}?token={token}", source=address)
        assert status == 303 and headers["Location"] == "/sessions"
        cookie = headers["Set-Cookie"].split(";")[0]
        assert "HttpOnly" in headers["Set-Cookie"] and "SameSite=Strict" in headers["Set-Cookie"]
        assert request(url, {"Cookie": cookie}, source=address)[0] == 200


def test_a_session_and_the_list_update_live_while_the_log_is_written(tmp_path, browser):
    logs = tmp_path / "logs"
    logs.mkdir()
    config = tmp_path / "agenttail.yaml"
    config.write_text(f"""
sources:
  - name: mini-agent
    paths: ["{logs}/*.log"]
    session_timeout: 1h
state:
  path: {tmp_path}/state.sqlite
sinks:
  local:
    path: {tmp_path}/events.sqlite
""")
    store_path = tmp_path / "events.sqlite"
    log = MiniAgentLog(datetime.now())
    system = {"role": "system", "content": "You are a careful coding assistant."}
    user = {"role": "user", "content": "Count the files, then show the largest."}
    path = logs / "agent_run_live.log"
    path.write_text(log.header() + log.request([system, user])
                    + log.response("Counting.", None, [("call_1", "bash", {"command": "ls | wc -l"})]))
    runner = subprocess.Popen([str(BINARY), "run", "--config", str(config), "--log-level", "error"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        def committed(sql):
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    found = rows(store_path, sql)
                except sqlite3.OperationalError:  # not created yet
                    found = None
                if found and found[0][0]:
                    return found[0][0]
                time.sleep(0.02)
            pytest.fail(f"never committed: {sql}")

        session = committed("SELECT id FROM agent_sessions")
        with dashboard(config) as base:
            browser.open(f"{base}/sessions/{session}", ready=READY)
            browser.wait_for("document.documentElement.getAttribute('data-live-state') === 'open'")
            browser.evaluate("window.unreloaded = true")
            assert browser.evaluate("document.querySelectorAll('svg.timeline a.row').length") == 1
            with path.open("a") as handle:
                handle.write(log.tool_result("bash", {"command": "ls | wc -l"}, True, "3\n"))
                handle.write(log.request([system, user, {"role": "tool", "content": "3", "tool_call_id": "call_1"}]))
                handle.write(log.response("There are 3 files."))
            committed("SELECT count(*) FROM llm_calls WHERE ended_at IS NOT NULL AND seq = 2")
            seconds = browser.wait_until(
                "document.querySelectorAll('svg.timeline a.row').length === 3", seconds=5)
            print(f"session page updated {seconds:.3f} s after the test saw the rows committed")
            assert browser.evaluate("window.unreloaded === true")  # updated in place, not reloaded
            assert "There are 3 files." in browser.evaluate("document.querySelector('main').innerText")
            # The list shows a second run as soon as it is written.
            browser.open(f"{base}/sessions", ready=READY)
            browser.wait_for("document.documentElement.getAttribute('data-live-state') === 'open'")
            browser.evaluate("window.unreloaded = true")
            (logs / "agent_run_second.log").write_text(
                MiniAgentLog(datetime.now()).header() + log.request([system, {"role": "user", "content": "A second run."}]))
            committed("SELECT count(*) >= 2 FROM agent_sessions")
            browser.wait_until("document.querySelectorAll('main tbody tr').length === 2", seconds=5)
            assert browser.evaluate("window.unreloaded === true")
            assert "A second run." in browser.evaluate("document.querySelector('main').innerText")
    finally:
        runner.terminate()
        runner.wait(timeout=30)


def test_the_timeline_works_by_keyboard(store, browser):
    config, path = store
    session = rows(path, "SELECT session_id FROM tool_executions WHERE success = 0 LIMIT 1")[0][0]
    with dashboard(config) as base:
        browser.open(f"{base}/sessions/{session}", ready=READY)
        # Tab until a timeline bar has the focus, then Enter opens its step.
        for _ in range(60):
            browser.press("Tab", 9)
            if browser.evaluate("document.activeElement.closest('svg.timeline') !== null"):
                break
        else:
            pytest.fail("no timeline row takes the focus")
        target = browser.evaluate("document.activeElement.getAttribute('href')")
        browser.press("Enter", 13)
        browser.wait_for(f"location.hash === '{target}'")
        browser.wait_for(f"document.getElementById('{target[1:]}').open === true")
