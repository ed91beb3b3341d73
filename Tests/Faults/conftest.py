"""The fault suite runs the agenttail binary against the same test servers as the end-to-end suite."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "EndToEnd"))

from services import admin, database, langfuse, server  # noqa: E402,F401 (fixtures)
