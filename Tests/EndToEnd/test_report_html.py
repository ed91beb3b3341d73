"""The HTML report in a headless Chromium, offline: it renders, its charts are there, its own script runs, and
nothing planted in the logs does. The screenshot is kept in .build/artefacts/ for a person to look at."""
import re
import sqlite3
import subprocess
from pathlib import Path

import pytest

from devtools import DevTools, chromium
from stack import BINARY, ROOT, fixture_store

ARTEFACTS = ROOT / ".build" / "artefacts"
# What an agent may write: markup that would run, close the SVG, break a table, or move the terminal's cursor.
HOSTILE = ("<script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\">"
           "</svg></table>| a | b |\x1b[2J\x1b]0;owned\x07")


def browse(page: Path, *arguments):
    """Chromium offline: every host name resolves to nothing, so a fetch from the network would fail."""
    return subprocess.run(
        [chromium(), "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
         "--host-resolver-rules=MAP * ~NOTFOUND", "--virtual-time-budget=3000", *arguments, page.as_uri()],
        capture_output=True, text=True, timeout=120)


@pytest.fixture
def report_page(tmp_path):
    config = fixture_store(tmp_path, claude_code=True)
    # The planted text goes where the report shows logged text: a task, a tool's name and an error message.
    with sqlite3.connect(tmp_path / "events.sqlite") as store:
        store.execute("UPDATE agent_sessions SET task = ? WHERE rowid = (SELECT min(rowid) FROM agent_sessions)",
                      (HOSTILE,))
        store.execute("UPDATE agent_errors SET message = ?", (HOSTILE,))
        store.execute("UPDATE tool_executions SET tool_name = ? WHERE rowid = (SELECT min(rowid) FROM tool_executions)",
                      (HOSTILE,))
    page = tmp_path / "report.html"
    made = subprocess.run(
        [str(BINARY), "report", "--config", str(config), "--from", "2025-08-01", "--to", "2026-12-01", "--by", "agent",
         "--format", "html", "--output", str(page)], capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    return page


def test_the_page_is_self_contained_and_escapes_what_the_logs_wrote(report_page):
    html = report_page.read_text()
    # Nothing is fetched: no external reference of any kind.
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "<link" not in html
    # One script, ours; the planted markup is text.
    assert html.count("<script>") == 1
    assert "<img" not in html
    assert "&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;" in html
    assert "\x1b" not in html
    assert "Content-Security-Policy" in html


def test_chromium_renders_it_offline_with_its_charts_and_no_planted_script(report_page):
    dom = browse(report_page, "--dump-dom")
    assert dom.returncode == 0, dom.stderr
    # The page's own script ran under its Content-Security-Policy (the hash is right)...
    assert 'data-tables="sortable"' in dom.stdout
    # ...and nothing planted did.
    assert "pwned" not in re.search(r"<title>(.*?)</title>", dom.stdout, re.S).group(1)
    assert dom.stdout.count('class="chart"') >= 4
    assert dom.stdout.count('class="sortable"') >= 6
    # The failed Mini-Agent run's problem is listed with its evidence.
    assert "llm_retries_exhausted" in dom.stdout
    # The SVG charts survived a planted </svg>: every chart still holds its bars.
    for chart in re.findall(r'<svg class="chart".*?</svg>', dom.stdout, re.S):
        assert "<rect" in chart or "<line" in chart


def test_a_screenshot_is_kept_for_people_to_look_at(report_page):
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    for name, size in (("report-laptop.png", "1280,2600"), ("report-phone.png", "390,3200")):
        shot = ARTEFACTS / name
        shot.unlink(missing_ok=True)
        taken = browse(report_page, f"--screenshot={shot}", f"--window-size={size}", "--hide-scrollbars")
        assert taken.returncode == 0, taken.stderr
        assert shot.stat().st_size > 20_000, f"{name} looks empty"


def test_tables_sort_by_click_and_by_keyboard(report_page, tmp_path):
    browser = DevTools(tmp_path / "profile")
    browser.open(report_page.as_uri(), ready="document.documentElement?.getAttribute('data-tables') === 'sortable'")
    try:
        table = "document.querySelectorAll('table.sortable')"
        # The tools table: the one whose first header is "tool".
        find = (f"Array.from({table}).find(t => t.tHead.rows[0].cells[0].textContent === 'tool')")
        column = lambda index: browser.evaluate(
            f"Array.from({find}.tBodies[0].rows).map(r => parseFloat(r.cells[{index}].dataset.sort))")
        names = lambda: browser.evaluate(f"Array.from({find}.tBodies[0].rows).map(r => r.cells[0].textContent)")
        before = names()
        # Click "p50" (column 5): ascending, then descending.
        browser.evaluate(f"{find}.tHead.rows[0].cells[5].querySelector('button').click()")
        assert column(5) == sorted(column(5))
        assert browser.evaluate(f"{find}.tHead.rows[0].cells[5].getAttribute('aria-sort')") == "ascending"
        browser.evaluate(f"{find}.tHead.rows[0].cells[5].querySelector('button').click()")
        assert column(5) == sorted(column(5), reverse=True)
        # By keyboard: focus the "tool" header and press Enter; names sort as text.
        browser.evaluate(f"{find}.tHead.rows[0].cells[0].querySelector('button').focus()")
        browser.press("Enter", 13)
        browser.wait_for(f"{find}.tHead.rows[0].cells[0].getAttribute('aria-sort') === 'ascending'")
        after = names()
        assert sorted(after, key=str.lower) == after or after == sorted(after)
        assert set(after) == set(before) and len(after) == len(before)
    finally:
        browser.close()
