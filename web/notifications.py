"""On-site alerts: the navbar menu's data, the alerts page, preferences, and the admins' log
of e-mails sent."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import func, select, update
from sqlalchemy.exc import SQLAlchemyError

from models.base import utcnow
from models.db import db
from models.notifications import EmailDelivery, Notification, NotificationPreference
from models.users import Role
from notify import alerts
from notify.events import DIGEST_EVENT, PREFERENCE_LABELS
from web.current import current_user, login_required, role_required, wants_json
from web.errors import UserFacingError

bp = Blueprint("notifications", __name__)

PAGE_SIZE = 50
MENU_SIZE = 8
DELIVERY_STATUSES = ("pending", "sending", "sent", "failed")


def unread_count(user_id: int) -> int:
    return alerts.unread_count(db, user_id)


@bp.app_context_processor
def _menu_globals() -> dict[str, Any]:
    def notification_unread_count() -> int:
        """Never the reason a page fails: error pages render this menu too, maybe with the
        database down; the script fills the count in once it is back."""
        try:
            user = current_user()
            return unread_count(user.id) if user else 0
        except SQLAlchemyError:
            db.rollback()
            return 0

    return {"notification_unread_count": notification_unread_count}


def _as_json(alert: Notification) -> dict[str, Any]:
    return {
        "id": alert.id,
        "event": alert.event,
        "title": alert.title,
        "body": alert.body,
        "link": alert.link,
        "created_at": alert.created_at.isoformat(),
        "read": alert.read_at is not None,
    }


def _own_alert(alert_id: int) -> Notification:
    """Someone else's alert looks exactly like one that does not exist."""
    user = current_user()
    alert = db.get(Notification, alert_id)
    if alert is None or user is None or alert.user_id != user.id:
        raise UserFacingError(404, "We could not find that alert.", code="not_found")
    return alert


@bp.get("/notifications")
@login_required
def index():  # type: ignore[no-untyped-def]
    user = current_user()
    return render_template(
        "notify/index.html",
        alerts=alerts.recent_alerts(db, user.id, PAGE_SIZE),
        unread=unread_count(user.id),
    )


@bp.get("/notifications/unread-count")
@login_required
def count():  # type: ignore[no-untyped-def]
    return jsonify(unread=unread_count(current_user().id))


@bp.get("/notifications/feed")
@login_required
def feed():  # type: ignore[no-untyped-def]
    user = current_user()
    latest = alerts.recent_alerts(db, user.id, MENU_SIZE)
    return jsonify(unread=unread_count(user.id), items=[_as_json(a) for a in latest])


def _done(message: str):  # type: ignore[no-untyped-def]
    user = current_user()
    if wants_json() or request.headers.get("X-Requested-With") == "fetch":
        return jsonify(unread=unread_count(user.id))
    flash(message, "success")
    return redirect(url_for("notifications.index"))


@bp.post("/notifications/<int:alert_id>/read")
@login_required
def mark_read(alert_id: int):  # type: ignore[no-untyped-def]
    alert = _own_alert(alert_id)
    if alert.read_at is None:
        alert.read_at = utcnow()
        db.commit()
    return _done("Alert marked as read.")


@bp.post("/notifications/read-all")
@login_required
def mark_all_read():  # type: ignore[no-untyped-def]
    user = current_user()
    db.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    db.commit()
    return _done("All alerts marked as read.")


def preference_events(is_admin: bool) -> dict[str, str]:
    return {k: v for k, v in PREFERENCE_LABELS.items() if is_admin or k != DIGEST_EVENT}


def set_email_preference(user_id: int, event: str, enabled: bool) -> None:
    """Used by the settings page and by unsubscribe links (which carry no session)."""
    preference = db.scalar(
        select(NotificationPreference).where(
            NotificationPreference.user_id == user_id, NotificationPreference.event == event
        )
    )
    if preference is None:
        db.add(NotificationPreference(user_id=user_id, event=event, email=enabled))
    else:
        preference.email = enabled


@bp.route("/settings/notifications", methods=["GET", "POST"])
@login_required
def preferences():  # type: ignore[no-untyped-def]
    user = current_user()
    events = preference_events(user.is_admin)
    if request.method == "POST":
        unknown = [k for k in request.form if k.startswith("email:") and k[6:] not in events]
        if unknown:
            raise UserFacingError(400, "Unknown notification type.", code="unknown_event")
        for event in events:
            set_email_preference(user.id, event, request.form.get(f"email:{event}") == "on")
        db.commit()
        flash("Your notification settings are saved.", "success")
        return redirect(url_for("notifications.preferences"))
    stored = {
        p.event: p.email
        for p in db.scalars(
            select(NotificationPreference).where(NotificationPreference.user_id == user.id)
        )
    }
    rows = [(event, label, stored.get(event, True)) for event, label in events.items()]
    return render_template("notify/preferences.html", rows=rows)


@bp.get("/admin/emails")
@role_required(Role.ADMIN)
def admin_emails():  # type: ignore[no-untyped-def]
    status = request.args.get("status", "")
    if status and status not in DELIVERY_STATUSES:
        raise UserFacingError(
            400, f"Status must be one of {', '.join(DELIVERY_STATUSES)}.", code="invalid_status"
        )
    query = select(EmailDelivery).order_by(EmailDelivery.id.desc()).limit(200)
    if status:
        query = query.where(EmailDelivery.status == status)
    counts = dict(
        db.execute(select(EmailDelivery.status, func.count()).group_by(EmailDelivery.status)).all()
    )
    return render_template(
        "notify/admin_emails.html",
        deliveries=db.scalars(query).all(),
        counts=counts,
        status=status,
        statuses=DELIVERY_STATUSES,
        backend=current_app.config["SETTINGS"].email_backend,
    )
