"""What Vetted knows about GitHub and GitLab: installations and the deliveries they send."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DDL, BigInteger, ForeignKey, Index, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, EncryptedText, JSONType, Timestamps, utcnow


class WebhookDelivery(Base):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (UniqueConstraint("forge", "delivery_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    forge: Mapped[str] = mapped_column(String(16))
    delivery_id: Mapped[str] = mapped_column(String(128))
    event: Mapped[str] = mapped_column(String(64))
    action: Mapped[str | None] = mapped_column(String(64))
    installation_ref: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(EncryptedText("webhook_deliveries.payload", compress=True))
    status: Mapped[str] = mapped_column(
        String(16), default="received"
    )  # received|processed|ignored|failed
    error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]


class Installation(Timestamps, Base):
    """A GitHub App installation, or a GitLab project/group integration (with its hook token)."""

    __tablename__ = "installations"
    __table_args__ = (UniqueConstraint("forge", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    forge: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[int] = mapped_column(BigInteger)
    account_login: Mapped[str] = mapped_column(String(255), default="")
    account_type: Mapped[str | None] = mapped_column(String(32))
    repositories: Mapped[list[dict]] = mapped_column(JSONType, default=list)
    webhook_token: Mapped[str | None] = mapped_column(EncryptedText("installations.webhook_token"))
    access_token: Mapped[str | None] = mapped_column(EncryptedText("installations.access_token"))
    suspended_at: Mapped[datetime | None]
    removed_at: Mapped[datetime | None]


class GitHubAppCredentials(Timestamps, Base):
    """The App registered through the manifest flow (secrets encrypted at rest)."""

    __tablename__ = "github_app_credentials"

    id: Mapped[int] = mapped_column(primary_key=True)
    app_id: Mapped[str] = mapped_column(String(32))
    slug: Mapped[str] = mapped_column(String(100))
    client_id: Mapped[str | None] = mapped_column(String(100))
    client_secret: Mapped[str | None] = mapped_column(
        EncryptedText("github_app_credentials.client_secret")
    )
    private_key: Mapped[str] = mapped_column(EncryptedText("github_app_credentials.private_key"))
    webhook_secret: Mapped[str] = mapped_column(
        EncryptedText("github_app_credentials.webhook_secret")
    )
    html_url: Mapped[str | None] = mapped_column(String(500))


Index("ix_webhook_deliveries_status", WebhookDelivery.status, WebhookDelivery.received_at)


class ForgeCheck(Base):
    """The check run (GitHub) or commit status (GitLab) Vetted keeps on a PR ticket."""

    __tablename__ = "forge_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"))
    head_sha: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(32))
    summary: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


# A payload is stored compressed and sealed (about 3 kB for a 28 kB pull_request), which
# PostgreSQL's TOAST can neither compress further nor store more cheaply: moving it out of line
# cost every delivery a second heap insert and index entry. Rows up to a page stay inline.
TOAST_INLINE = DDL("ALTER TABLE webhook_deliveries SET (toast_tuple_target = 8160)")
event.listen(
    WebhookDelivery.__table__, "after_create", TOAST_INLINE.execute_if(dialect="postgresql")
)
