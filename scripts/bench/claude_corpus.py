"""Writes a corpus of Claude Code transcripts for measuring the claude-code rules: the test fixtures' sessions
repeated with fresh message and tool ids, a fixed number of them per file.

    python3 scripts/bench/claude_corpus.py FOLDER SIZE_MB [SESSIONS_PER_FILE]
"""
import sys
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "Tests" / "AgentTailTests" / "Fixtures" / "claude-code"


def main() -> None:
    folder, size_mb = Path(sys.argv[1]), float(sys.argv[2])
    per_file = int(sys.argv[3]) if len(sys.argv) > 3 else 50
    sessions = [path.read_text() for path in sorted(FIXTURES.glob("*.jsonl"))]
    folder.mkdir(parents=True, exist_ok=True)
    total, copy, files = 0, 0, 0
    while total < size_mb * 1e6:
        parts = []
        for _ in range(per_file):
            text = sessions[copy % len(sessions)]
            parts.append(text.replace('"msg_', f'"msg_{copy}_').replace('"toolu_', f'"toolu_{copy}_'))
            copy += 1
        data = "".join(parts).encode()
        (folder / f"session-{files:05d}.jsonl").write_bytes(data)
        total += len(data)
        files += 1
    print(f"{files} files, {copy} sessions, {total / 1e6:.1f} MB in {folder}")


if __name__ == "__main__":
    main()
