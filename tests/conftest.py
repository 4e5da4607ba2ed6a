"""Fixtures: the real PostgreSQL and Redis, a fresh schema, an app and a client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

import models
from app import create_app
from models.crypto import Keyring, configure_keyring, generate_key
from models.db import configure_engine, new_session
from tests.support.services import (
    REQUIRE_SERVICES,
    TEST_DATABASE_URL,
    TEST_REDIS_URL,
    postgres_available,
    redis_available,
    unavailable,
)

TEST_KEYS = f"t1:{generate_key()}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """PostgreSQL when reachable; otherwise SQLite, unless CI requires the real services."""
    problem = postgres_available()
    if problem is None:
        return TEST_DATABASE_URL
    if REQUIRE_SERVICES:
        pytest.fail(problem)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def _schema(database_url: str) -> str:
    configure_keyring(Keyring.from_setting(TEST_KEYS))
    engine = configure_engine(database_url)
    models.Base.metadata.drop_all(engine)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    models.Base.metadata.create_all(engine)
    return database_url


def _truncate(database_url: str) -> None:
    engine = configure_engine(database_url)
    tables = [t.name for t in reversed(models.Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))  # noqa: S608 - table names from metadata


@pytest.fixture
def clean_db(_schema: str) -> str:
    configure_keyring(Keyring.from_setting(TEST_KEYS))
    _truncate(_schema)
    return _schema


@pytest.fixture
def pg_url(clean_db: str) -> str:
    """For tests that need PostgreSQL itself (row locks, SKIP LOCKED, EXPLAIN)."""
    if not clean_db.startswith("postgresql"):
        unavailable("PostgreSQL is not available")
    return clean_db


@pytest.fixture
def redis_url() -> str:
    problem = redis_available()
    if problem:
        unavailable(problem)
    from redis import Redis

    Redis.from_url(TEST_REDIS_URL).flushdb()
    return TEST_REDIS_URL


@pytest.fixture
def app_config(clean_db: str, tmp_path: Path) -> dict[str, object]:
    """Override in a test module (or extend via ``app_config.update``) before ``app`` is built."""
    return {
        "testing": True,
        "env": "test",
        "database_url": clean_db,
        "var_dir": tmp_path / "var",
        "storage_dir": tmp_path / "var" / "storage",
        "mail_dir": tmp_path / "var" / "mail",
        "encryption_keys": TEST_KEYS,
        "secret_key": "test-secret-key",
        "wtf_csrf_enabled": False,
        "rate_limits_enabled": False,
        "embedded_worker": False,
        "redis_url": "",
        "base_url": "http://localhost",
    }


@pytest.fixture
def app(app_config: dict[str, object]):  # type: ignore[no-untyped-def]
    application = create_app(app_config)
    with application.app_context():
        yield application


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


@pytest.fixture
def settings(app):  # type: ignore[no-untyped-def]
    return app.config["SETTINGS"]


@pytest.fixture
def session(clean_db: str) -> Iterator[Session]:
    """A plain session for arranging and checking data (commit to make it visible)."""
    s = new_session()
    try:
        yield s
    finally:
        s.rollback()
        s.close()
