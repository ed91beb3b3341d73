"""The resources suite follows a live test agent with the agenttail binary; helpers come from the end-to-end suite."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "EndToEnd"))
