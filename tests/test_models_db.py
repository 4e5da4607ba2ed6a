"""models.db: one engine per process, and a forked process never reuses its parent's sockets."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import text

from models.db import autocommit_engine, forget_inherited_connections, get_engine


def _backend_pids() -> tuple[int, int]:
    """The PostgreSQL backend behind a pooled connection of each engine."""
    with get_engine().connect() as pooled, autocommit_engine().connect() as fast:
        return (
            pooled.execute(text("SELECT pg_backend_pid()")).scalar_one(),
            fast.execute(text("SELECT pg_backend_pid()")).scalar_one(),
        )


def test_a_forked_process_opens_its_own_connections_and_the_parents_keep_working(session):
    if get_engine().dialect.name != "postgresql":
        pytest.skip("backend pids are a PostgreSQL notion")
    for engine in (get_engine(), autocommit_engine()):
        engine.dispose()
    parent = _backend_pids()  # each pool now holds exactly one idle, open connection
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        try:
            forget_inherited_connections()
            os.write(write, ",".join(map(str, _backend_pids())).encode())
        finally:
            os._exit(0)
    os.close(write)
    answer = os.read(read, 100).decode()
    os.close(read)
    os.waitpid(child, 0)
    child_pids = tuple(int(pid) for pid in answer.split(","))
    assert len(child_pids) == 2 and set(child_pids).isdisjoint(parent)
    assert _backend_pids() == parent  # not closed under the parent by the child
