"""Cost of the abuse protection on every request: the IP guard and the Redis rate limiter.

Serves the same page from the same app in-process, in three set-ups measured in this run:
- baseline: rate limits off, no IP blocks;
- protected: limits on (counted in a private Redis, moving window) and 500 active blocks;
- Redis down: the same, with that Redis stopped (in-memory fallback).
Prints requests per second for each and the ratio to the baseline.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from models import Base  # noqa: E402
from models.crypto import generate_key  # noqa: E402
from models.db import configure_engine, session_scope  # noqa: E402
from security.ipblocks import block  # noqa: E402
from tests.support.services import RedisServer  # noqa: E402

REQUESTS = 2000
PATH = "/sign-in"


def rate(app, requests: int = REQUESTS) -> float:  # type: ignore[no-untyped-def]
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "198.51.100.77"
    for _ in range(50):  # warm up templates and connections
        client.get(PATH)
    started = time.perf_counter()
    for _ in range(requests):
        response = client.get(PATH)
        assert response.status_code == 200, response.status_code
    return requests / (time.perf_counter() - started)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        database_url = f"sqlite:///{work / 'bench.db'}"
        engine = configure_engine(database_url)
        Base.metadata.create_all(engine)
        config = {
            "env": "test",
            "testing": True,
            "database_url": database_url,
            "var_dir": work / "var",
            "secret_key": "bench",
            "encryption_keys": f"b1:{generate_key()}",
            "embedded_worker": False,
            "rate_limit_default": "1000000 per minute",
            "log_level": "WARNING",
        }
        baseline = rate(create_app({**config, "rate_limits_enabled": False, "redis_url": ""}))
        with session_scope() as session:
            for n in range(500):
                block(session, f"203.0.{n // 250}.{n % 250}", reason="bench", minutes=60)
        redis = RedisServer(work)
        redis.start()
        try:
            protected_app = create_app(
                {**config, "rate_limits_enabled": True, "redis_url": redis.url}
            )
            protected = rate(protected_app)
        finally:
            redis.stop()
        fallback = rate(protected_app)
    print(f"security  baseline (no limits, no blocks)   {baseline:8.0f} req/s")
    print(
        f"security  limits in Redis + 500 blocks      {protected:8.0f} req/s"
        f"  ({protected / baseline:.2f}x baseline)"
    )
    print(
        f"security  Redis down, in-memory fallback    {fallback:8.0f} req/s"
        f"  ({fallback / baseline:.2f}x baseline)"
    )


if __name__ == "__main__":
    main()
