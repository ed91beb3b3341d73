"""pytest fixtures shared by the end-to-end and fault suites: a throwaway PostgreSQL with Schema/, the Supabase test
server in front of it, and the Langfuse test server."""
import psycopg2
import pytest

from stack import TABLES, LangfuseServer, Server
from throwaway_postgres import throwaway_postgres


@pytest.fixture(scope="session")
def database():
    with throwaway_postgres("agenttail-e2e-pg-") as port:
        yield port


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
def langfuse():
    server = LangfuseServer()
    yield server
    server.stop()
