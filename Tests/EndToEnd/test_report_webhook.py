"""`agenttail report --webhook` against a chat webhook that validates as Slack's does."""
import subprocess
import sys
from pathlib import Path

import pytest

from stack import BINARY, fixture_store

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "Servers"))
from chat_webhook_server import ChatWebhook  # noqa: E402

PERIOD = ["--from", "2026-11-01", "--to", "2026-12-01"]


@pytest.fixture
def config(tmp_path):
    """A local store holding the Mini-Agent fixtures."""
    return fixture_store(tmp_path)


def report(config, *arguments):
    return subprocess.run([str(BINARY), "report", "--config", str(config), *PERIOD, *arguments],
                          capture_output=True, text=True, timeout=60)


def test_posts_the_markdown_report(config, tmp_path):
    markdown = report(config, "--format", "markdown")
    assert markdown.returncode == 0, markdown.stderr
    with ChatWebhook() as hook:
        # The URL from a file, as a service would give it: a command line is visible to every user.
        secret = tmp_path / "webhook"
        secret.write_text(hook.url() + "\n")
        posted = report(config, "--webhook", f"@{secret}")
        assert posted.returncode == 0, posted.stderr
        assert len(hook.received) == 1
        assert hook.received[0]["text"] == markdown.stdout
        assert hook.received[0]["user_agent"].startswith("agenttail/")
    # The terminal still gets the text report.
    assert posted.stdout.startswith("agenttail report: 2026-11-01 00:00 to 2026-12-01 00:00 UTC")
    assert "| bash " in markdown.stdout


def test_a_removed_webhook_fails_without_showing_its_secret(config):
    with ChatWebhook() as hook:
        hook.removed.add("/services/T0001/B0002/Secr3tT0ken")
        posted = report(config, "--webhook", hook.url(), "--fail-on", "problems")
        assert hook.received == []
    assert posted.returncode == 1
    assert "the webhook at 127.0.0.1 refused the report: HTTP 404 no_service" in posted.stderr
    assert "Secr3tT0ken" not in posted.stderr + posted.stdout


def test_a_webhook_in_the_clear_is_refused_before_anything_is_sent(config):
    posted = report(config, "--webhook", "http://hooks.example.com/services/T1/B1/abc")
    assert posted.returncode == 2
    assert "must be https" in posted.stderr
    assert "abc" not in posted.stderr
