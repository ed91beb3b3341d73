"""The redaction suite runs the agenttail binary, and for the oracle test the same test servers as the end-to-end
suite."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "EndToEnd"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "Faults"))

from services import admin, database, langfuse, server  # noqa: E402,F401 (fixtures)
