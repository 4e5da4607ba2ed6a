"""Sign-up, sign-in and sign-out pages."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from accounts.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from accounts.resets import ResetError, read_reset_token, reset_password
from accounts.users import AccountError, authenticate, create_user, find_by_email
from jobs.outbox import enqueue
from models.audit import record_audit
from models.base import utcnow
from models.db import db
from web.current import client_ip, current_user, sign_in_session, sign_out_session
from web.ipblocks import note_offence

bp = Blueprint("auth", __name__)


class SignUpForm(FlaskForm):
    name = StringField("Name", validators=[Length(max=200)])
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=320)])
    password = PasswordField(
        "Password",
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH)],
    )
    confirm = PasswordField(
        "Repeat password", validators=[DataRequired(), EqualTo("password", "Passwords differ.")]
    )


class SignInForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=320)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])


class ForgotPasswordForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=320)])


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        "New password",
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH)],
    )
    confirm = PasswordField(
        "Repeat new password",
        validators=[DataRequired(), EqualTo("password", "Passwords differ.")],
    )


RESET_SENT = (
    "If an account exists for that address, we have sent it a link to choose a new password. "
    "The link works for one hour."
)


def safe_next(target: str | None) -> str:
    """Only same-site relative paths: an open redirect would make sign-in a phishing tool."""
    if target:
        parts = urlsplit(target)
        relative = not parts.scheme and not parts.netloc and target.startswith("/")
        if relative and "\\" not in target and not target.startswith("//"):
            return target
    return url_for("dashboard.index")


@bp.route("/sign-up", methods=["GET", "POST"])
def sign_up():  # type: ignore[no-untyped-def]
    if current_user() is not None:
        return redirect(url_for("dashboard.index"))
    form = SignUpForm()
    if form.validate_on_submit():
        try:
            user = create_user(
                db, form.email.data or "", password=form.password.data, name=form.name.data or ""
            )
        except AccountError as exc:
            form.email.errors = [*form.email.errors, str(exc)]
        else:
            record_audit(
                db,
                "user.sign_up",
                actor_id=user.id,
                ip=client_ip(),
                object_type="user",
                object_id=user.id,
            )
            db.commit()
            sign_in_session(user)
            flash("Welcome to Vetted! Your account is ready.", "success")
            return redirect(url_for("dashboard.index"))
    return render_template("auth/sign_up.html", form=form), 200 if request.method == "GET" else 400


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():  # type: ignore[no-untyped-def]
    form = SignInForm()
    if form.validate_on_submit():
        user = authenticate(db, form.email.data or "", form.password.data or "")
        if user is None:
            record_audit(
                db, "user.sign_in_failed", ip=client_ip(), actor_label=(form.email.data or "")[:200]
            )
            db.commit()
            note_offence("repeated failed sign-ins")
            flash("Wrong e-mail or password.", "danger")
            return render_template("auth/sign_in.html", form=form), 401
        record_audit(
            db,
            "user.sign_in",
            actor_id=user.id,
            ip=client_ip(),
            object_type="user",
            object_id=user.id,
        )
        db.commit()
        sign_in_session(user)
        return redirect(safe_next(request.args.get("next")))
    status = 200 if request.method == "GET" else 400
    return render_template("auth/sign_in.html", form=form), status


@bp.post("/sign-out")
def sign_out():  # type: ignore[no-untyped-def]
    user = current_user()
    if user is not None:
        record_audit(db, "user.sign_out", actor_id=user.id, ip=client_ip())
        db.commit()
    sign_out_session()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.sign_in"))


@bp.route("/forgot-password", methods=["GET", "POST"])
def forgot_password():  # type: ignore[no-untyped-def]
    """Always the same answer, so the page cannot be used to learn who has an account."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        user = find_by_email(db, form.email.data or "")
        if user is not None and user.is_active:
            # Only ids go into the outbox: the link (a credential) is minted when the e-mail is
            # rendered, so it is never stored.
            enqueue(
                db,
                "notify.jobs.send_password_reset",
                user_id=user.id,
                requested_at=utcnow().isoformat(),
            )
            record_audit(
                db,
                "user.password_reset_requested",
                actor_id=user.id,
                ip=client_ip(),
                object_type="user",
                object_id=user.id,
            )
            db.commit()
        flash(RESET_SENT, "info")
        return redirect(url_for("auth.sign_in"))
    status = 200 if request.method == "GET" else 400
    return render_template("auth/forgot_password.html", form=form), status


@bp.route("/reset-password/<token>", methods=["GET", "POST"], endpoint="reset_password")
def reset_password_page(token: str):  # type: ignore[no-untyped-def]
    settings = current_app.config["SETTINGS"]
    try:
        user = read_reset_token(db, settings.secret_key, token)
    except ResetError as exc:
        return render_template("auth/reset_password.html", form=None, problem=str(exc)), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            reset_password(db, user, form.password.data or "", ip=client_ip())
        except ResetError as exc:
            form.password.errors = [*form.password.errors, str(exc)]
        else:
            db.commit()
            sign_out_session()
            flash("Your password has been changed. Please sign in with the new one.", "success")
            return redirect(url_for("auth.sign_in"))
    status = 200 if request.method == "GET" else 400
    return render_template("auth/reset_password.html", form=form, problem=None), status
