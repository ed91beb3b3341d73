"""Fixtures: a throwaway PostgreSQL with Schema/, the test server in front of it, and a workspace."""
import subprocess
import tempfile

import psycopg2
import pytest

from supabase_stack import ROOT, TABLES, Server, Workspace, free_port


@pytest.fixture(scope="session")
def database():
    folder = tempfile.mkdtemp(prefix="agenttail-e2e-pg-")
    port = free_port()
    subprocess.run([str(ROOT / "scripts/postgres.sh"), "start", folder, str(port)], check=True, cwd=ROOT)
    yield port
    subprocess.run([str(ROOT / "scripts/postgres.sh"), "stop", folder], check=False, cwd=ROOT)



@pytest.fixture
def admin(database):
    connection = psycopg2.connect(host="127.0.0.1", port=database, user="postgres", dbname="postgres")
    connection.autocommit = True
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"delete from {table}")
    yield connection
    connection.close()



@pytest.fixture
def server(database, admin):
    server = Server(database)
    server.control("/__reset", {})
    yield server
    server.stop()



@pytest.fixture
def workspace(tmp_path, server):
    return Workspace(tmp_path, server)


