"""security.ipblocks: manual and automatic blocks, growing periods, the cached block list."""

from __future__ import annotations

from datetime import timedelta

import pytest
from limits.storage import MemoryStorage

from models.audit import AuditEvent, IpBlock
from models.base import utcnow
from security.ipblocks import (
    BlockCache,
    BlockError,
    OffenceCounter,
    auto_block,
    block,
    parse_network,
    unblock,
)


def test_a_cidr_range_blocks_every_address_inside_it(session):
    block(session, "203.0.113.0/24", reason="scraping", minutes=60)
    session.commit()
    cache = BlockCache()
    assert cache.match(session, "203.0.113.77") is not None
    assert cache.match(session, "203.0.114.1") is None


def test_ipv6_and_ipv4_mapped_addresses_are_matched(session):
    block(session, "2001:db8::/32", reason="abuse")
    block(session, "198.51.100.7", reason="abuse")
    session.commit()
    cache = BlockCache()
    assert cache.match(session, "2001:db8::1") is not None
    assert cache.match(session, "::ffff:198.51.100.7") is not None
    assert cache.match(session, "not an address") is None


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "Give an IP address"),
        ("999.1.1.1", "is not an IP address"),
        ("0.0.0.0/0", "every address"),
        ("1.2.3.4/33", "is not an IP address"),
        ("1.2.3.4\x00", "is not an IP address"),
    ],
)
def test_malformed_networks_are_refused_with_a_clear_message(text, message):
    with pytest.raises(BlockError, match=message):
        parse_network(text)


def test_a_manual_block_needs_a_reason_and_is_audited(session):
    with pytest.raises(BlockError, match="Say why"):
        block(session, "203.0.113.7", reason="  ")
    row = block(session, "203.0.113.7", reason="credential stuffing", minutes=5, actor_label="cli")
    session.commit()
    event = session.query(AuditEvent).filter_by(action="ip.block").one()
    assert event.object_id == str(row.id) and event.data["network"] == "203.0.113.7/32"


def test_unblocking_lifts_the_block_and_is_audited(session):
    block(session, "203.0.113.7", reason="abuse")
    session.commit()
    assert unblock(session, "203.0.113.7/32", actor_label="cli") == 1
    session.commit()
    assert BlockCache().match(session, "203.0.113.7") is None
    assert session.query(AuditEvent).filter_by(action="ip.unblock").count() == 1


def test_an_expired_block_no_longer_applies(session):
    row = block(session, "203.0.113.7", reason="abuse", minutes=1)
    row.expires_at = utcnow() - timedelta(seconds=1)
    session.commit()
    assert BlockCache().match(session, "203.0.113.7") is None


def test_automatic_blocks_grow_from_15_minutes_to_an_hour_to_a_day(session):
    lengths = []
    for _ in range(4):
        row = auto_block(session, "203.0.113.7", "automatic: too many requests")
        lengths.append(round((row.expires_at - row.created_at).total_seconds() / 60))
        row.expires_at = utcnow() - timedelta(seconds=1)  # served its time
        session.commit()
    assert lengths == [15, 60, 24 * 60, 24 * 60]
    strikes = [r.strikes for r in session.query(IpBlock).order_by(IpBlock.id)]
    assert strikes == [1, 2, 3, 4]
    assert session.query(AuditEvent).filter_by(action="ip.auto_block").count() == 4


def test_an_address_already_blocked_is_not_blocked_twice(session):
    assert auto_block(session, "203.0.113.7", "x") is not None
    assert auto_block(session, "203.0.113.7", "x") is None


def test_the_cache_serves_the_list_until_its_ttl_or_an_invalidation(session):
    cache = BlockCache(ttl=3600)
    assert cache.match(session, "203.0.113.7") is None
    block(session, "203.0.113.7", reason="abuse")
    session.commit()
    assert cache.match(session, "203.0.113.7") is None  # still the cached (empty) list
    cache.invalidate()
    assert cache.match(session, "203.0.113.7") is not None


def test_the_offence_counter_trips_at_the_threshold_in_redis(redis_url):
    from limits.storage import storage_from_string

    counter = OffenceCounter(storage_from_string(redis_url), threshold=3, window_seconds=60)
    other = OffenceCounter(storage_from_string(redis_url), threshold=3, window_seconds=60)
    assert [counter.offend("203.0.113.7"), other.offend("203.0.113.7")] == [False, False]
    assert counter.offend("203.0.113.7") is True
    counter.clear("203.0.113.7")
    assert other.offend("203.0.113.7") is False


def test_the_offence_counter_works_in_memory_too():
    counter = OffenceCounter(MemoryStorage(), threshold=2, window_seconds=60)
    assert counter.offend("203.0.113.7") is False
    assert counter.offend("203.0.113.7") is True
