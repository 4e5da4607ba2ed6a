"""``/admin/verifications``: applications with their evidence; decide, check and revoke per tag."""

from __future__ import annotations

from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from sqlalchemy import select

from matching.evidence import check_evidence
from matching.verification import VerificationError, decide_tag, revoke_tag
from models.db import db
from models.reviewers import Evidence, ExpertiseVerification, ReviewerProfile, VerificationState
from models.users import Role
from web.current import current_user, role_required

bp = Blueprint("admin_verifications", __name__, url_prefix="/admin/verifications")


@bp.get("")
@role_required(Role.ADMIN)
def index():  # type: ignore[no-untyped-def]
    show = request.args.get("show", "pending")
    query = select(ReviewerProfile).order_by(ReviewerProfile.created_at)
    if show == "pending":
        query = query.where(
            ReviewerProfile.id.in_(
                select(ExpertiseVerification.profile_id).where(
                    ExpertiseVerification.state == VerificationState.PENDING.value
                )
            )
        )
    profiles = db.scalars(query.limit(200)).all()
    evidence: dict[int, list[Evidence]] = {p.id: [] for p in profiles}
    for row in db.scalars(
        select(Evidence).where(Evidence.profile_id.in_(list(evidence))).order_by(Evidence.id)
    ):
        evidence[row.profile_id].append(row)
    return render_template(
        "admin/verifications.html", profiles=profiles, evidence=evidence, show=show
    )


def profile_or_404(profile_id: int) -> ReviewerProfile:
    profile = db.get(ReviewerProfile, profile_id)
    if profile is None:
        abort(404)
    return profile


@bp.post("/<int:profile_id>/tags/<tag>")
@role_required(Role.ADMIN)
def decide(profile_id: int, tag: str):  # type: ignore[no-untyped-def]
    profile = profile_or_404(profile_id)
    action = request.form.get("action", "")
    reason = request.form.get("reason", "")[:2000]
    admin = current_user()
    try:
        if action == "approve":
            decide_tag(db, profile, tag, approve=True, admin_id=admin.id, reason=reason)
        elif action == "reject":
            decide_tag(db, profile, tag, approve=False, admin_id=admin.id, reason=reason)
        elif action == "revoke":
            withdrawn = revoke_tag(db, profile, tag, admin_id=admin.id, reason=reason)
            if withdrawn:
                flash(f"{len(withdrawn)} open offer(s) withdrawn.", "info")
        else:
            raise VerificationError("Choose approve, reject or revoke.")
    except VerificationError as exc:
        db.rollback()
        flash(str(exc), "danger")
        return redirect(url_for("admin_verifications.index", show="all"))
    db.commit()
    flash(f"{tag}: {action} recorded and sent to the applicant.", "success")
    return redirect(url_for("admin_verifications.index"))


@bp.get("/evidence/<int:evidence_id>/file")
@role_required(Role.ADMIN)
def certificate_file(evidence_id: int):  # type: ignore[no-untyped-def]
    """The certificate itself, decrypted for the admin (only scanned, clean files are stored)."""
    from intake.storage import BlobError, open_blob

    evidence = db.get(Evidence, evidence_id)
    if evidence is None or evidence.kind != "certification" or not evidence.storage_key:
        abort(404)
    settings = current_app.config["SETTINGS"]
    try:
        blob = open_blob(evidence.storage_key, root=Path(settings.storage_dir))
    except BlobError:
        abort(404)
    name = evidence.data.get("filename") or "certificate"
    return send_file(
        blob,
        mimetype=evidence.data.get("content_type", "application/octet-stream"),
        as_attachment=True,
        download_name=name,
    )


@bp.post("/evidence/<int:evidence_id>")
@role_required(Role.ADMIN)
def check(evidence_id: int):  # type: ignore[no-untyped-def]
    evidence = db.get(Evidence, evidence_id)
    if evidence is None:
        abort(404)
    action = request.form.get("action")
    if action not in ("accept", "refuse"):
        flash("Choose accept or refuse.", "danger")
        return redirect(url_for("admin_verifications.index"))
    check_evidence(db, evidence, admin_id=current_user().id, accept=action == "accept")
    db.commit()
    flash("Evidence checked.", "success")
    return redirect(url_for("admin_verifications.index"))
