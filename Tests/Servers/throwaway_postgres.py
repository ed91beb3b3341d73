"""A throwaway PostgreSQL set up like a Supabase project (scripts/postgres.sh), for the Python tests."""
import socket
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def throwaway_postgres(prefix: str):
    """Yields the port of a fresh cluster with Supabase's roles and Schema/ applied; stopped and removed after."""
    folder = tempfile.mkdtemp(prefix=prefix)
    port = free_port()
    subprocess.run([str(ROOT / "scripts/postgres.sh"), "start", folder, str(port)], check=True, cwd=ROOT)
    try:
        yield port
    finally:
        subprocess.run([str(ROOT / "scripts/postgres.sh"), "stop", folder], check=False, cwd=ROOT)
