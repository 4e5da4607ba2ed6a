"""Reviewer pages: apply, see verification badges, take skills tests, upload certificates."""

from __future__ import annotations

from datetime import UTC, datetime, time

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from wtforms import BooleanField, DateField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from matching.evidence import EvidenceError, add_certificate
from matching.profiles import Application, ProfileError, apply
from matching.skills import SkillsTestError, exercises, exercises_for, start_test, submit_test
from matching.tags import TagError, parse_tags
from matching.verification import profile_for
from models.db import db
from models.reviewers import Evidence
from web.current import current_user, login_required

bp = Blueprint("reviewer", __name__, url_prefix="/reviewer")


class ApplicationForm(FlaskForm):
    bio = TextAreaField("About you", validators=[Length(max=4000)])
    tags = StringField(
        "Expertise tags",
        validators=[DataRequired(message="Choose at least one expertise tag.")],
        description="Comma-separated: review areas (security, performance, best-practices), "
        "languages and frameworks, e.g. security, python, django",
    )
    github_username = StringField("GitHub username", validators=[Optional(), Length(max=39)])
    gitlab_username = StringField("GitLab username", validators=[Optional(), Length(max=39)])
    timezone = StringField("Time zone", default="UTC", validators=[DataRequired()])
    work_start_hour = IntegerField("Working hours from", default=9, validators=[NumberRange(0, 23)])
    work_end_hour = IntegerField("to", default=17, validators=[NumberRange(0, 23)])
    capacity = IntegerField("Most open reviews at once", default=3, validators=[NumberRange(1, 20)])
    available = BooleanField("Available for new reviews", default=True)
    away_until = DateField("Away until (optional)", validators=[Optional()])


class CertificateForm(FlaskForm):
    tag = StringField("Tag it supports", validators=[DataRequired()])
    issuer = StringField("Issuer", validators=[DataRequired(), Length(max=200)])
    issued_on = DateField("Issued on", validators=[DataRequired()])
    file = FileField("Certificate (PDF, PNG or JPEG, up to 10 MB)", validators=[FileRequired()])


def my_profile():  # type: ignore[no-untyped-def]
    profile = profile_for(db, current_user().id)
    if profile is None:
        return None
    return profile


def first_error(form: FlaskForm) -> str:
    for errors in form.errors.values():
        for message in errors:
            return str(message)
    return "Please check the form and try again."


@bp.get("")
@login_required
def home():  # type: ignore[no-untyped-def]
    profile = my_profile()
    if profile is None:
        return redirect(url_for("reviewer.application"))
    evidence = db.scalars(
        select(Evidence).where(Evidence.profile_id == profile.id).order_by(Evidence.created_at)
    ).all()
    tests = {tag: exercises_for(tag) for tag in profile.expertise or []}
    return render_template(
        "reviewer/home.html",
        profile=profile,
        evidence=evidence,
        tests=tests,
        certificate_form=CertificateForm(),
    )


@bp.route("/apply", methods=["GET", "POST"])
@login_required
def application():  # type: ignore[no-untyped-def]
    profile = my_profile()
    form = (
        ApplicationForm(obj=profile) if request.method == "GET" and profile else ApplicationForm()
    )
    if request.method == "GET" and profile:
        form.tags.data = ", ".join(profile.expertise or [])
        form.away_until.data = profile.away_until.date() if profile.away_until else None
    if form.validate_on_submit():
        away = form.away_until.data
        try:
            apply(
                db,
                current_user(),
                Application(
                    bio=form.bio.data or "",
                    tags=parse_tags(form.tags.data or ""),
                    github_username=form.github_username.data or "",
                    gitlab_username=form.gitlab_username.data or "",
                    timezone=(form.timezone.data or "").strip(),
                    work_start_hour=form.work_start_hour.data,
                    work_end_hour=form.work_end_hour.data,
                    capacity=form.capacity.data,
                    available=bool(form.available.data),
                    away_until=datetime.combine(away, time(0), tzinfo=UTC) if away else None,
                ),
            )
        except (ProfileError, TagError, EvidenceError) as exc:
            db.rollback()
            flash(str(exc), "danger")
            return render_template("reviewer/apply.html", form=form), 422
        db.commit()
        flash("Saved. New expertise tags wait for verification.", "success")
        return redirect(url_for("reviewer.home"))
    if request.method == "POST":
        flash(first_error(form), "danger")
        return render_template("reviewer/apply.html", form=form), 422
    return render_template("reviewer/apply.html", form=form)


@bp.post("/skills/<exercise_id>/start")
@login_required
def start_skills_test(exercise_id: str):  # type: ignore[no-untyped-def]
    profile = my_profile() or abort(404)
    try:
        evidence = start_test(db, profile, exercise_id)
    except SkillsTestError:
        abort(404)
    db.commit()
    return redirect(url_for("reviewer.skills_test", evidence_id=evidence.id))


def my_attempt(evidence_id: int) -> tuple[object, Evidence]:
    profile = my_profile()
    evidence = db.get(Evidence, evidence_id)
    if profile is None or evidence is None or evidence.profile_id != profile.id:
        abort(404)
    if evidence.kind != "skills_test":
        abort(404)
    return profile, evidence


@bp.route("/skills/attempts/<int:evidence_id>", methods=["GET", "POST"])
@login_required
def skills_test(evidence_id: int):  # type: ignore[no-untyped-def]
    profile, evidence = my_attempt(evidence_id)
    exercise = exercises()[evidence.data["exercise_id"]]
    if request.method == "POST" and evidence.checked_at is None:
        marks = [
            {"line": int(key.removeprefix("line-")), "category": value}
            for key, value in request.form.items()
            if key.startswith("line-") and key.removeprefix("line-").isdigit() and value
        ]
        try:
            result = submit_test(db, profile, evidence.id, marks)
        except SkillsTestError as exc:
            db.rollback()
            flash(str(exc), "danger")
            return redirect(url_for("reviewer.skills_test", evidence_id=evidence_id))
        db.commit()
        if result.late:
            flash("Time is up: answers after the time limit are not graded.", "danger")
        elif result.passed:
            flash(f"Passed with a score of {result.score:.0%}.", "success")
        else:
            flash(f"Not passed: a score of {result.score:.0%}.", "warning")
        return redirect(url_for("reviewer.home"))
    return render_template(
        "reviewer/skills_test.html", exercise=exercise.public(), evidence=evidence
    )


@bp.post("/certificates")
@login_required
def upload_certificate():  # type: ignore[no-untyped-def]
    profile = my_profile() or abort(404)
    form = CertificateForm()
    if not form.validate_on_submit():
        flash(first_error(form), "danger")
        return redirect(url_for("reviewer.home"))
    upload = form.file.data
    try:
        add_certificate(
            db,
            profile,
            upload.stream,
            tag=parse_tags(form.tag.data or "")[0],
            issuer=form.issuer.data or "",
            issued_on=form.issued_on.data,
            filename=upload.filename or "certificate",
            settings=current_app.config["SETTINGS"],
        )
    except (EvidenceError, TagError, IndexError) as exc:
        db.rollback()
        flash(str(exc) if not isinstance(exc, IndexError) else "Choose a tag.", "danger")
        return redirect(url_for("reviewer.home"))
    db.commit()
    flash("Certificate received; an administrator will check it.", "success")
    return redirect(url_for("reviewer.home"))
