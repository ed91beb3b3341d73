"""Fixtures: a throwaway PostgreSQL with Schema/, the test servers, and a workspace."""
import pytest

from services import admin, database, langfuse, server  # noqa: F401 (fixtures)
from stack import Workspace


@pytest.fixture
def workspace(tmp_path, server):
    return Workspace(tmp_path, server)
