"""The audit log and IP blocks: who did what, when, from where."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, JSONType, utcnow


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_label: Mapped[str | None] = mapped_column(String(200))
    ip: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict] = mapped_column(JSONType, default=dict)


Index("ix_audit_events_at", AuditEvent.at)
Index("ix_audit_events_action_at", AuditEvent.action, AuditEvent.at)
Index("ix_audit_events_object", AuditEvent.object_type, AuditEvent.object_id)


class IpBlock(Base):
    __tablename__ = "ip_blocks"

    id: Mapped[int] = mapped_column(primary_key=True)
    network: Mapped[str] = mapped_column(String(64), index=True)  # an address or a CIDR range
    reason: Mapped[str] = mapped_column(Text, default="")
    automatic: Mapped[bool] = mapped_column(default=False)
    strikes: Mapped[int] = mapped_column(default=1)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    lifted_at: Mapped[datetime | None]


def record_audit(
    session: object,
    action: str,
    *,
    actor_id: int | None = None,
    actor_label: str | None = None,
    ip: str | None = None,
    object_type: str | None = None,
    object_id: str | int | None = None,
    **data: object,
) -> AuditEvent:
    """Add an audit row to the caller's transaction: it commits or rolls back with the change."""
    event = AuditEvent(
        action=action,
        actor_id=actor_id,
        actor_label=actor_label,
        ip=ip,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        data=data,
    )
    session.add(event)  # type: ignore[attr-defined]
    return event
