"""Blocking addresses and ranges: by admins (manual) or after repeated offences (automatic).

Flask-free: the web guard (``web.ipblocks``) and the CLI (``cli.ipblocks``) call these with a
session. The active list is small and read on every request, so ``BlockCache`` keeps the parsed
networks in process for a few seconds; a block made on one server reaches every server within
that time (the database is the shared source of truth).
"""

from __future__ import annotations

import ipaddress
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from limits import RateLimitItemPerSecond
from limits.storage import Storage
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from models.audit import IpBlock, record_audit
from models.base import utcnow

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# Automatic blocks grow with each repeat offence: 15 minutes, then an hour, then a day.
AUTO_BLOCK_STEPS = (timedelta(minutes=15), timedelta(hours=1), timedelta(hours=24))
# Earlier automatic blocks count as strikes for this long.
STRIKE_MEMORY = timedelta(days=7)
MAX_REASON = 500
CACHE_TTL_SECONDS = 5.0


class BlockError(ValueError):
    """A block request that cannot be honoured; the message is for the operator."""


def parse_network(text: str) -> Network:
    """An address or a CIDR range, in the canonical form stored and compared."""
    cleaned = (text or "").strip()
    if not cleaned or len(cleaned) > 64:
        raise BlockError("Give an IP address or a CIDR range, e.g. 203.0.113.7 or 203.0.113.0/24.")
    try:
        network = ipaddress.ip_network(cleaned, strict=False)
    except ValueError:
        raise BlockError(f"{cleaned!r} is not an IP address or CIDR range.") from None
    if network.prefixlen == 0:
        raise BlockError("Refusing to block every address on the internet.")
    return network


def parse_address(text: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address((text or "").strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        from datetime import UTC

        return moment.replace(tzinfo=UTC)
    return moment


def active_blocks(session: Session, now: datetime | None = None) -> list[IpBlock]:
    now = now or utcnow()
    rows = session.scalars(
        select(IpBlock)
        .where(IpBlock.lifted_at.is_(None))
        .where(or_(IpBlock.expires_at.is_(None), IpBlock.expires_at > now))
        .order_by(IpBlock.created_at.desc())
    )
    return list(rows)


def block(
    session: Session,
    network_text: str,
    *,
    reason: str,
    minutes: int | None = None,
    actor_id: int | None = None,
    actor_label: str | None = None,
    ip: str | None = None,
) -> IpBlock:
    """A manual block; ``minutes=None`` blocks until lifted."""
    network = parse_network(network_text)
    reason = (reason or "").strip()
    if not reason:
        raise BlockError("Say why the address is blocked (the reason is kept in the audit log).")
    if minutes is not None and not 1 <= minutes <= 10 * 365 * 24 * 60:
        raise BlockError("The block must last between 1 minute and 10 years.")
    row = IpBlock(
        network=str(network),
        reason=reason[:MAX_REASON],
        automatic=False,
        strikes=1,
        created_by_id=actor_id,
        expires_at=utcnow() + timedelta(minutes=minutes) if minutes else None,
    )
    session.add(row)
    session.flush()
    record_audit(
        session,
        "ip.block",
        actor_id=actor_id,
        actor_label=actor_label,
        ip=ip,
        object_type="ip_block",
        object_id=row.id,
        network=row.network,
        reason=row.reason,
        minutes=minutes,
    )
    return row


def unblock(
    session: Session,
    network_text: str,
    *,
    actor_id: int | None = None,
    actor_label: str | None = None,
    ip: str | None = None,
) -> int:
    """Lift every active block on exactly this network; returns how many were lifted."""
    network = str(parse_network(network_text))
    lifted = 0
    for row in active_blocks(session):
        if row.network == network:
            row.lifted_at = utcnow()
            lifted += 1
            record_audit(
                session,
                "ip.unblock",
                actor_id=actor_id,
                actor_label=actor_label,
                ip=ip,
                object_type="ip_block",
                object_id=row.id,
                network=row.network,
            )
    return lifted


def lift(session: Session, block_id: int, *, actor_id: int | None, ip: str | None) -> IpBlock:
    row = session.get(IpBlock, block_id)
    if row is None:
        raise BlockError("No such block.")
    if row.lifted_at is None:
        row.lifted_at = utcnow()
        record_audit(
            session,
            "ip.unblock",
            actor_id=actor_id,
            ip=ip,
            object_type="ip_block",
            object_id=row.id,
            network=row.network,
        )
    return row


def auto_block(session: Session, address: str, reason: str) -> IpBlock | None:
    """Block one address for the next step of 15 min / 1 h / 24 h; None if already blocked."""
    parsed = parse_address(address)
    if parsed is None:
        return None
    network = str(ipaddress.ip_network(parsed))
    now = utcnow()
    if any(row.network == network for row in active_blocks(session, now)):
        return None
    previous = session.scalars(
        select(IpBlock)
        .where(IpBlock.network == network, IpBlock.automatic.is_(True))
        .where(IpBlock.created_at > now - STRIKE_MEMORY)
        .order_by(IpBlock.created_at.desc())
        .limit(1)
    ).first()
    strikes = (previous.strikes + 1) if previous else 1
    duration = AUTO_BLOCK_STEPS[min(strikes, len(AUTO_BLOCK_STEPS)) - 1]
    row = IpBlock(
        network=network,
        reason=reason[:MAX_REASON],
        automatic=True,
        strikes=strikes,
        expires_at=now + duration,
    )
    session.add(row)
    session.flush()
    record_audit(
        session,
        "ip.auto_block",
        actor_label="system",
        ip=str(parsed),
        object_type="ip_block",
        object_id=row.id,
        network=network,
        reason=row.reason,
        strikes=strikes,
        minutes=int(duration.total_seconds() // 60),
    )
    return row


@dataclass(frozen=True)
class ActiveBlock:
    """What the guard needs to answer a blocked client, detached from the session."""

    id: int
    network: Network
    reason: str
    automatic: bool
    expires_at: datetime | None


class BlockCache:
    """The active blocks, parsed, refreshed at most every ``ttl`` seconds per process."""

    def __init__(self, ttl: float = CACHE_TTL_SECONDS):
        self.ttl = ttl
        self._lock = threading.Lock()
        self._blocks: list[ActiveBlock] = []
        self._loaded_at = float("-inf")

    def invalidate(self) -> None:
        self._loaded_at = float("-inf")

    def _refresh(self, session: Session) -> list[ActiveBlock]:
        blocks = []
        for row in active_blocks(session):
            try:
                network = ipaddress.ip_network(row.network, strict=False)
            except ValueError:
                continue
            blocks.append(
                ActiveBlock(row.id, network, row.reason, row.automatic, _aware(row.expires_at))
            )
        return blocks

    def blocks(self, session: Session) -> list[ActiveBlock]:
        if time.monotonic() - self._loaded_at > self.ttl:
            with self._lock:
                if time.monotonic() - self._loaded_at > self.ttl:
                    self._blocks = self._refresh(session)
                    self._loaded_at = time.monotonic()
        return self._blocks

    def match(self, session: Session, address: str | None) -> ActiveBlock | None:
        blocks = self.blocks(session)
        if not blocks:  # the usual case, checked on every request: nothing to parse
            return None
        parsed = parse_address(address)
        if parsed is None:
            return None
        now = utcnow()
        for entry in blocks:
            if entry.expires_at is not None and entry.expires_at <= now:
                continue
            if parsed.version == entry.network.version and parsed in entry.network:
                return entry
        return None


class OffenceCounter:
    """Counts offences per address in the rate-limit storage (Redis, shared by all servers)."""

    def __init__(self, storage: Storage, threshold: int, window_seconds: int):
        self.limiter = MovingWindowRateLimiter(storage)
        self.item = RateLimitItemPerSecond(max(threshold, 1), max(window_seconds, 1))

    def offend(self, address: str) -> bool:
        """Record one offence; True when this one reaches the threshold within the window."""
        if not self.limiter.hit(self.item, "vetted-offence", address):
            return True
        return self.limiter.get_window_stats(self.item, "vetted-offence", address).remaining <= 0

    def clear(self, address: str) -> None:
        self.limiter.clear(self.item, "vetted-offence", address)
