"""`agenttail ui --source supabase`: the same pages from the project's rows as from the embedded store, and a run
shipped to the project later shows up without a restart."""
import re
import time
import urllib.request
from datetime import datetime

from dashboard import dashboard
from mini_agent_log import MiniAgentLog
from stack import Workspace


def page(base, path):
    with urllib.request.urlopen(base + path, timeout=30) as response:
        return response.read().decode()


def sessions(html):
    """The list's sessions: (link, status) in order."""
    return re.findall(r'<tr><td[^>]*><span class="when"><a href="(/sessions/[^"]+)">.*?status-(\w+)', html)


def steps(html):
    return re.findall(r'<details id="(row-[^"]+)"', html)


def test_the_pages_from_supabase_are_those_of_the_local_store(tmp_path, server):
    workspace = Workspace(tmp_path, server)
    workspace.add_fixtures()
    workspace.run("run", "--once")
    with dashboard(workspace.config, env=workspace.env) as local, \
            dashboard(workspace.config, "--source", "supabase", env=workspace.env) as remote:
        listed = sessions(page(local, "/sessions"))
        assert len(listed) == 4
        assert sessions(page(remote, "/sessions")) == listed
        for link, _ in listed:
            mine, theirs = page(local, link), page(remote, link)
            assert steps(theirs) == steps(mine) and steps(mine)
            assert theirs.count('class="row') == mine.count('class="row')
        patterns = r'<section class="pattern"><h2><a href="[^"]+">([^<]+)</a>'
        assert re.findall(patterns, page(remote, "/errors?from=2025-08-01")) == re.findall(
            patterns, page(local, "/errors?from=2025-08-01"))
        # A run shipped later shows up in the copy: the list follows the project.
        log = MiniAgentLog(datetime(2026, 11, 30, 9, 0, 0))
        (workspace.logs / "agent_run_later.log").write_text(
            log.header() + log.request([{"role": "user", "content": "A later run, from another host."}])
            + log.response("Done."))
        workspace.run("run", "--once")
        deadline = time.monotonic() + 30
        while "A later run, from another host." not in page(remote, "/sessions"):
            assert time.monotonic() < deadline, "the later run never showed up"
            time.sleep(0.2)
        assert len(sessions(page(remote, "/sessions"))) == 5
