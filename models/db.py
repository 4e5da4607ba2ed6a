"""Engine and sessions. Flask-free: the web app, the worker and the CLI all use this."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, scoped_session, sessionmaker

_engine: Engine | None = None
_autocommit: dict[Engine, Engine] = {}  # keyed by the engine they mirror
_factory = sessionmaker(expire_on_commit=False)
# The web tier uses one session per request (removed at teardown); jobs use ``session_scope``.
db: scoped_session[Session] = scoped_session(_factory)


def normalise_url(url: str) -> str:
    """Use psycopg2 for plain ``postgresql://`` URLs (SQLAlchemy 2.1 would pick psycopg 3)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix) :]
    return url


# Fail fast when PostgreSQL cannot be reached (the error handler then answers 503), and name
# Vetted's connections in pg_stat_activity.
POSTGRES_CONNECT_ARGS = {"connect_timeout": 5, "application_name": "vetted"}


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=10,
        pool_recycle=1800,
        connect_args=POSTGRES_CONNECT_ARGS,
    )


def configure_engine(url: str) -> Engine:
    """Point the process at a database (idempotent for the same URL)."""
    global _engine
    if _engine is not None and str(_engine.url) == str(make_engine_url(url)):
        return _engine
    if _engine is not None:
        db.remove()
        _engine.dispose()
        mirror = _autocommit.pop(_engine, None)
        if mirror is not None:
            mirror.dispose()
    _engine = make_engine(url)
    _factory.configure(bind=_engine)
    return _engine


def make_engine_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return str(make_url(normalise_url(url)))


def get_engine() -> Engine:
    if _engine is None:
        raise RuntimeError("database not configured")
    return _engine


def autocommit_engine() -> Engine:
    """The database in autocommit and without a ping per checkout, for hot single-statement
    writes (a webhook's store is one atomic statement; a ping would be a second round trip).
    Callers retry once on a stale connection instead. Nothing to roll back on check-in either:
    autocommit leaves no transaction open."""
    engine = get_engine()
    fast = _autocommit.get(engine)
    if fast is None:
        fast = _autocommit[engine] = create_engine(
            engine.url,
            pool_size=5,
            max_overflow=10,
            pool_recycle=1800,
            pool_reset_on_return=None,
            isolation_level="AUTOCOMMIT",
            connect_args=POSTGRES_CONNECT_ARGS if engine.dialect.name == "postgresql" else {},
        )
    return fast


def forget_inherited_connections() -> None:
    """In a freshly forked process: drop the parent's pooled connections without closing
    them (they are the parent's sockets), so this process opens its own."""
    for engine in (_engine, *_autocommit.values()):
        if engine is not None:
            engine.dispose(close=False)


def new_session() -> Session:
    return _factory()


@contextmanager
def session_scope() -> Iterator[Session]:
    """A unit of work: commit on success, roll back on error, always close."""
    session = _factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def is_postgres() -> bool:
    return get_engine().dialect.name == "postgresql"
