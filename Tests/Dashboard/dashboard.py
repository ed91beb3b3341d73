"""Starts `agenttail ui` on a store and stops it."""
import contextlib
from pathlib import Path

from stack import serving


@contextlib.contextmanager
def dashboard(config: Path, *arguments, env=None):
    """`agenttail ui` in the background; yields its base URL (http://HOST:PORT)."""
    with serving(["ui", "--config", str(config), "--listen", "127.0.0.1:0", *arguments],
                 r"serving the dashboard at (http://\S+?)/ ", env=env) as match:
        yield match.group(1)
