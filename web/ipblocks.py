"""The IP guard on every request, automatic blocking of offenders, and the admin page."""

from __future__ import annotations

import contextlib
import logging
from datetime import UTC

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from limits.storage import MemoryStorage
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from wtforms import IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from models.audit import IpBlock
from models.db import db, session_scope
from models.users import Role
from security.ipblocks import BlockCache, BlockError, OffenceCounter, auto_block, block, lift
from settings import Settings
from web.current import client_ip, current_user, role_required
from web.errors import UserFacingError

log = logging.getLogger(__name__)

bp = Blueprint("ipblocks", __name__, url_prefix="/admin/ip-blocks")

# The load balancer's probes are never refused.
UNGUARDED_PREFIXES = ("health.",)


def _cache() -> BlockCache:
    return current_app.extensions["vetted_block_cache"]


def blocked_message(expires_at) -> str:  # type: ignore[no-untyped-def]
    if expires_at is None:
        return (
            "Access from your network address has been blocked. "
            "If you think this is a mistake, contact the Vetted team."
        )
    until = expires_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        "Access from your network address is blocked until "
        f"{until} after repeated abuse or too many requests. Please try again later."
    )


def guard() -> None:
    """Refuse blocked addresses with 403 before anything else runs (cheap: a cached list)."""
    if (request.endpoint or "").startswith(UNGUARDED_PREFIXES):
        return
    try:
        entry = _cache().match(db, client_ip())
    except SQLAlchemyError:
        db.rollback()
        log.warning("IP block list unavailable; letting the request through")
        return
    if entry is not None:
        headers = {}
        if entry.expires_at is not None:
            from models.base import utcnow

            headers["Retry-After"] = str(max(1, int((entry.expires_at - utcnow()).total_seconds())))
        raise UserFacingError(
            403, blocked_message(entry.expires_at), code="ip_blocked", headers=headers
        )


def _counters(app: Flask) -> tuple[OffenceCounter, OffenceCounter]:
    return app.extensions["vetted_offence_counters"]


def note_offence(reason: str, address: str | None = None) -> bool:
    """Count one offence (a rate-limit breach, a failed sign-in) against the client's address.

    Returns True when this offence earned an automatic block.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if "vetted_offence_counters" not in app.extensions:
        return False
    address = address or client_ip()
    shared, local = _counters(app)
    try:
        too_many = shared.offend(address)
    except Exception:  # Redis down: count in this process instead
        too_many = local.offend(address)
    if not too_many:
        return False
    try:
        with session_scope() as session:
            row = auto_block(session, address, f"automatic: {reason}")
    except SQLAlchemyError:
        log.warning("could not record an automatic block for an offending address")
        return False
    if row is None:
        return False
    log.warning("automatically blocked an address (strike %s)", row.strikes)
    _cache().invalidate()
    for counter in (shared, local):
        with contextlib.suppress(Exception):  # clearing is best effort
            counter.clear(address)
    return True


def init_ipblocks(app: Flask, settings: Settings) -> None:
    """Install the guard first among the request hooks (before CSRF and rate limits)."""
    app.extensions["vetted_block_cache"] = BlockCache()
    limiter = app.extensions.get("vetted_limiter")
    shared_storage = limiter.storage if limiter is not None and limiter.enabled else None
    local = OffenceCounter(
        MemoryStorage(), settings.auto_block_threshold, settings.auto_block_window_seconds
    )
    shared = (
        OffenceCounter(
            shared_storage, settings.auto_block_threshold, settings.auto_block_window_seconds
        )
        if shared_storage is not None
        else local
    )
    app.extensions["vetted_offence_counters"] = (shared, local)
    app.before_request_funcs.setdefault(None, []).insert(0, guard)


class BlockForm(FlaskForm):
    network = StringField("Address or CIDR range", validators=[DataRequired(), Length(max=64)])
    reason = StringField("Reason", validators=[DataRequired(), Length(max=500)])
    minutes = IntegerField(
        "Minutes (empty: until lifted)",
        validators=[Optional(), NumberRange(min=1, max=10 * 365 * 24 * 60)],
    )


class LiftForm(FlaskForm):
    pass


def _render(form: BlockForm, status: int = 200):  # type: ignore[no-untyped-def]
    from security.ipblocks import active_blocks

    active = active_blocks(db)
    active_ids = {row.id for row in active}
    recent = list(
        db.scalars(
            select(IpBlock)
            .where(IpBlock.id.not_in(active_ids) if active_ids else IpBlock.id.is_not(None))
            .order_by(IpBlock.created_at.desc())
            .limit(50)
        )
    )
    return render_template(
        "admin/ip_blocks.html", form=form, lift_form=LiftForm(), active=active, recent=recent
    ), status


@bp.get("")
@role_required(Role.ADMIN)
def index():  # type: ignore[no-untyped-def]
    return _render(BlockForm())


@bp.post("")
@role_required(Role.ADMIN)
def create():  # type: ignore[no-untyped-def]
    form = BlockForm()
    if not form.validate_on_submit():
        return _render(form, 400)
    user = current_user()
    try:
        row = block(
            db,
            form.network.data or "",
            reason=form.reason.data or "",
            minutes=form.minutes.data,
            actor_id=user.id if user else None,
            ip=client_ip(),
        )
    except BlockError as exc:
        form.network.errors = [*form.network.errors, str(exc)]
        db.rollback()
        return _render(form, 400)
    db.commit()
    _cache().invalidate()
    flash(f"Blocked {row.network}.", "success")
    return redirect(url_for("ipblocks.index"))


@bp.post("/<int:block_id>/lift")
@role_required(Role.ADMIN)
def lift_block(block_id: int):  # type: ignore[no-untyped-def]
    if not LiftForm().validate_on_submit():
        raise UserFacingError(400, "Your form has expired. Please reload the page and try again.")
    user = current_user()
    try:
        row = lift(db, block_id, actor_id=user.id if user else None, ip=client_ip())
    except BlockError as exc:
        raise UserFacingError(404, str(exc)) from exc
    db.commit()
    _cache().invalidate()
    flash(f"Lifted the block on {row.network}.", "success")
    return redirect(url_for("ipblocks.index"))
