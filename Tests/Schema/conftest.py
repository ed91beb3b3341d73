"""A throwaway PostgreSQL with Supabase's roles and Schema/ applied, shared by the schema tests."""
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg2
import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def database():
    """Yields (port, folder) of a fresh cluster; stopped and removed afterwards."""
    folder = tempfile.mkdtemp(prefix="agenttail-pg-")
    port = free_port()
    subprocess.run([str(ROOT / "scripts/postgres.sh"), "start", folder, str(port)], check=True, cwd=ROOT)
    try:
        yield port
    finally:
        subprocess.run([str(ROOT / "scripts/postgres.sh"), "stop", folder], check=False, cwd=ROOT)


@pytest.fixture
def connect(database):
    """Opens connections as PostgREST does: log in as authenticator, then act as a role."""
    opened = []

    def open_as(role: str):
        connection = psycopg2.connect(
            host="127.0.0.1", port=database, user="authenticator", password="authenticator", dbname="postgres")
        opened.append(connection)
        with connection.cursor() as cursor:
            cursor.execute("select set_config('role', %s, false)", (role,))
        connection.commit()
        return connection

    yield open_as
    for connection in opened:
        connection.close()


@pytest.fixture
def admin(database):
    connection = psycopg2.connect(host="127.0.0.1", port=database, user="postgres", dbname="postgres")
    yield connection
    connection.close()
