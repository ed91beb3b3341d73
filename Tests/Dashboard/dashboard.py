"""Starts `agenttail ui` on a store and stops it."""
import contextlib
import re
import subprocess
import threading
from pathlib import Path

from stack import BINARY


@contextlib.contextmanager
def dashboard(config: Path, *arguments, env=None):
    """`agenttail ui` in the background; yields its base URL (http://HOST:PORT)."""
    process = subprocess.Popen([str(BINARY), "ui", "--config", str(config), "--listen", "127.0.0.1:0", *arguments],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    try:
        seen = []
        for line in process.stderr:
            seen.append(line)
            match = re.search(r"serving the dashboard at (http://\S+?)/ ", line)
            if match:
                break
        assert match, f"agenttail ui did not start: {''.join(seen)!r}"
        threading.Thread(target=process.stderr.read, daemon=True).start()
        yield match.group(1)
    finally:
        process.terminate()
        process.wait(timeout=10)
