"""A throwaway PostgreSQL with Supabase's roles and Schema/ applied, shared by the schema tests."""
import sys
from pathlib import Path

import psycopg2
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "Servers"))
from throwaway_postgres import throwaway_postgres  # noqa: E402


@pytest.fixture(scope="session")
def database():
    with throwaway_postgres("agenttail-schema-pg-") as port:
        yield port


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
