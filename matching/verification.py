"""Verification of expertise, one tag at a time: requested, approved, rejected or revoked.

Only verified tags count for matching. ``ReviewerProfile.verified_tags`` is the denormalised list
the matcher's index reads; every decision here recomputes it in the same transaction, writes an
audit event and tells the applicant (``verification.decided``).
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.users import grant_role
from jobs.outbox import enqueue
from matching.tags import parse_tags, stack_tags
from models.audit import record_audit
from models.base import utcnow
from models.offers import Offer, OfferStatus
from models.reviewers import ExpertiseVerification, ReviewerProfile, VerificationState
from models.tickets import Submission
from models.users import Role, User

V = VerificationState


class VerificationError(ValueError):
    """The decision cannot be made; the message says why."""


def profile_for(session: Session, user_id: int) -> ReviewerProfile | None:
    return session.scalar(select(ReviewerProfile).where(ReviewerProfile.user_id == user_id))


def _unique_handle(session: Session, user: User) -> str:
    base = (
        re.sub(r"[^a-z0-9-]+", "-", user.email.split("@", 1)[0].lower()).strip("-")[:48]
        or "reviewer"
    )
    handle, n = base, 1
    while session.scalar(select(ReviewerProfile.id).where(ReviewerProfile.handle == handle)):
        n += 1
        handle = f"{base}-{n}"
    return handle


def ensure_profile(session: Session, user: User) -> ReviewerProfile:
    profile = profile_for(session, user.id)
    if profile is None:
        profile = ReviewerProfile(user_id=user.id, handle=_unique_handle(session, user))
        session.add(profile)
        session.flush()
    return profile


def verification(session: Session, profile: ReviewerProfile, tag: str) -> ExpertiseVerification:
    row = session.scalar(
        select(ExpertiseVerification).where(
            ExpertiseVerification.profile_id == profile.id, ExpertiseVerification.tag == tag
        )
    )
    if row is None:
        row = ExpertiseVerification(profile_id=profile.id, tag=tag, state=V.PENDING.value)
        session.add(row)
        session.flush()
    return row


def request_tags(session: Session, profile: ReviewerProfile, tags: list[str]) -> None:
    """The applicant asks to be verified for ``tags`` (rejected or revoked ones may be re-asked)."""
    for tag in parse_tags(tags):
        row = verification(session, profile, tag)
        if row.state in (V.REJECTED.value, V.REVOKED.value):
            row.state = V.PENDING.value
    profile.expertise = sorted(set(profile.expertise or []) | set(parse_tags(tags)))


def refresh_verified_tags(session: Session, profile: ReviewerProfile) -> list[str]:
    session.flush()
    tags = sorted(
        session.scalars(
            select(ExpertiseVerification.tag).where(
                ExpertiseVerification.profile_id == profile.id,
                ExpertiseVerification.state == V.VERIFIED.value,
            )
        )
    )
    profile.verified_tags = tags
    return tags


def decide_tag(
    session: Session,
    profile: ReviewerProfile,
    tag: str,
    *,
    approve: bool,
    admin_id: int | None,
    reason: str = "",
    method: str = "admin",
    actor_label: str | None = None,
) -> ExpertiseVerification:
    """Approve or reject one tag, with a reason the applicant receives."""
    row = verification(session, profile, parse_tags([tag])[0])
    if not approve and not reason.strip():
        raise VerificationError("Please give the applicant a reason for the rejection.")
    row.state = V.VERIFIED.value if approve else V.REJECTED.value
    row.method = method
    row.decided_by_id = admin_id
    row.decided_at = utcnow()
    row.reason = reason.strip()
    refresh_verified_tags(session, profile)
    if approve:
        user = session.get(User, profile.user_id)
        if user is not None and not user.has_role(Role.REVIEWER):
            grant_role(user, Role.REVIEWER)
    record_audit(
        session,
        "verification.approved" if approve else "verification.rejected",
        actor_id=admin_id,
        actor_label=actor_label,
        object_type="reviewer",
        object_id=profile.id,
        tag=row.tag,
        method=method,
        reason=row.reason,
    )
    enqueue(
        session,
        "notify.jobs.notify_event",
        event="verification.decided",
        profile_id=profile.id,
        tag=row.tag,
    )
    if approve:
        enqueue(session, "matching.jobs.retry_unmatched", due_only=False)
    return row


def still_qualifies(profile: ReviewerProfile, ticket: Submission) -> bool:
    verified = set(profile.verified_tags or [])
    if not set(ticket.review_types or []) <= verified:
        return False
    stack = stack_tags(ticket.languages, ticket.frameworks)
    return not stack or bool(verified & set(stack))


def revoke_tag(
    session: Session, profile: ReviewerProfile, tag: str, *, admin_id: int | None, reason: str
) -> list[int]:
    """Withdraw a verification; open offers that relied on it are withdrawn (their ids returned)."""
    from matching.offers import withdraw_offers_for_reviewer

    if not reason.strip():
        raise VerificationError("Please give the reviewer a reason for the revocation.")
    row = verification(session, profile, parse_tags([tag])[0])
    if row.state != V.VERIFIED.value:
        raise VerificationError(f"{row.tag} is not verified, so it cannot be revoked.")
    row.state = V.REVOKED.value
    row.decided_by_id = admin_id
    row.decided_at = utcnow()
    row.reason = reason.strip()
    refresh_verified_tags(session, profile)
    record_audit(
        session,
        "verification.revoked",
        actor_id=admin_id,
        object_type="reviewer",
        object_id=profile.id,
        tag=row.tag,
        reason=row.reason,
    )
    enqueue(
        session,
        "notify.jobs.notify_event",
        event="verification.decided",
        profile_id=profile.id,
        tag=row.tag,
    )
    affected = [
        offer.id
        for offer in session.scalars(
            select(Offer).where(
                Offer.reviewer_id == profile.user_id, Offer.status == OfferStatus.OFFERED.value
            )
        )
        if not still_qualifies(profile, offer.submission)
    ]
    if not affected:
        return []
    withdrawn = withdraw_offers_for_reviewer(
        session, profile.user_id, f"Verification for {row.tag} was revoked.", only=affected
    )
    return withdrawn


def create_verified_reviewer(
    session: Session,
    user: User,
    tags: list[str],
    *,
    capacity: int = 3,
    admin_id: int | None = None,
    actor_label: str = "cli",
) -> ReviewerProfile:
    """Bootstrap a platform's first experts: a profile verified for ``tags`` by an admin."""
    parsed = parse_tags(tags)
    if not parsed:
        raise VerificationError("Give at least one expertise tag.")
    if capacity < 1 or capacity > 50:
        raise VerificationError("Capacity must be between 1 and 50 open reviews.")
    profile = ensure_profile(session, user)
    profile.capacity = capacity
    request_tags(session, profile, parsed)
    for tag in parsed:
        decide_tag(
            session,
            profile,
            tag,
            approve=True,
            admin_id=admin_id,
            reason="Verified by an administrator.",
            method="admin",
            actor_label=actor_label,
        )
    return profile
