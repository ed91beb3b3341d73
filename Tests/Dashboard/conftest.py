"""The dashboard suite drives `agenttail ui` in a headless Chromium; helpers come from the end-to-end suite."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "EndToEnd"))

from services import admin, database, server  # noqa: E402,F401 (fixtures)
