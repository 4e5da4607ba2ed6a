"""Applying to review and keeping the profile current (availability, capacity, hours)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import available_timezones

from sqlalchemy import text
from sqlalchemy.orm import Session

from jobs.outbox import enqueue
from matching.evidence import EvidenceError, request_work_history, valid_username
from matching.tags import TagError, parse_tags
from matching.verification import ensure_profile, request_tags
from models.audit import record_audit
from models.base import utcnow
from models.reviewers import ReviewerProfile
from models.users import User

MAX_CAPACITY = 20


class ProfileError(ValueError):
    """A field is not acceptable; the message names it."""


@dataclass
class Application:
    bio: str
    tags: list[str]
    github_username: str
    gitlab_username: str
    timezone: str
    work_start_hour: int
    work_end_hour: int
    capacity: int
    available: bool
    away_until: datetime | None


def validate(app: Application) -> Application:
    if len(app.bio) > 4000:
        raise ProfileError("Please keep the bio under 4,000 characters.")
    if app.timezone not in available_timezones():
        raise ProfileError(f"{app.timezone!r} is not a time zone we know (e.g. Europe/Berlin).")
    for hour in (app.work_start_hour, app.work_end_hour):
        if not 0 <= hour <= 23:
            raise ProfileError("Working hours are whole hours from 0 to 23.")
    if app.work_start_hour == app.work_end_hour:
        raise ProfileError("Working hours must start and end at different hours.")
    if not 1 <= app.capacity <= MAX_CAPACITY:
        raise ProfileError(f"Capacity must be between 1 and {MAX_CAPACITY} open reviews.")
    if app.away_until is not None and app.away_until <= utcnow():
        raise ProfileError("'Away until' must be in the future (or leave it empty).")
    try:
        app.tags = parse_tags(app.tags)
        app.github_username = valid_username(app.github_username)
        app.gitlab_username = valid_username(app.gitlab_username)
    except (TagError, EvidenceError) as exc:
        raise ProfileError(str(exc)) from exc
    if not app.tags:
        raise ProfileError("Choose at least one expertise tag.")
    return app


def database_knows_zone(session: Session, zone: str) -> bool:
    """The matcher evaluates working hours in PostgreSQL, so its zone list must know the name."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    query = text("SELECT 1 FROM pg_timezone_names WHERE name = :zone")
    return session.execute(query, {"zone": zone}).first() is not None


def apply(session: Session, user: User, app: Application) -> ReviewerProfile:
    """Create or update the applicant's profile; new tags wait for verification."""
    app = validate(app)
    if not database_knows_zone(session, app.timezone):
        raise ProfileError(f"{app.timezone!r} is not a time zone we know (e.g. Europe/Berlin).")
    profile = ensure_profile(session, user)
    had_room = profile.available and profile.has_capacity and profile.away_until is None
    linked = (profile.github_username, profile.gitlab_username)
    profile.bio = app.bio.strip()
    profile.timezone = app.timezone
    profile.work_start_hour, profile.work_end_hour = app.work_start_hour, app.work_end_hour
    profile.capacity = app.capacity
    profile.available = app.available
    profile.away_until = app.away_until
    profile.github_username = app.github_username or None
    profile.gitlab_username = app.gitlab_username or None
    request_tags(session, profile, app.tags)
    session.flush()
    if (profile.github_username, profile.gitlab_username) != linked:
        request_work_history(session, profile)
    record_audit(
        session, "reviewer.apply", actor_id=user.id, object_type="reviewer", object_id=profile.id
    )
    has_room = profile.available and profile.has_capacity and profile.away_until is None
    if has_room and not had_room:
        enqueue(session, "matching.jobs.retry_unmatched", due_only=False)
    return profile
