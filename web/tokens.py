"""``/settings/tokens``: create (shown once), list and revoke personal API tokens."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from accounts.tokens import active_tokens, issue_token, revoke_owned_token
from models.db import db
from web.current import client_ip, current_user, login_required
from web.errors import UserFacingError

bp = Blueprint("token_settings", __name__, url_prefix="/settings/tokens")

SCOPE_CHOICES = [("read", "Read only"), ("read write", "Read and write")]


class TokenForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=100)])
    scopes = SelectField("Access", choices=SCOPE_CHOICES, default="read")


class RevokeForm(FlaskForm):
    pass


def _page(form: TokenForm, secret: str | None = None, status: int = 200):  # type: ignore[no-untyped-def]
    user = current_user()
    return render_template(
        "settings/tokens.html",
        form=form,
        revoke_form=RevokeForm(),
        tokens=active_tokens(db, user.id),
        secret=secret,
    ), status


@bp.get("")
@login_required
def index():  # type: ignore[no-untyped-def]
    return _page(TokenForm())


@bp.post("")
@login_required
def create():  # type: ignore[no-untyped-def]
    form = TokenForm()
    if not form.validate_on_submit():
        return _page(form, status=400)
    user = current_user()
    _, secret = issue_token(
        db,
        user,
        name=(form.name.data or "").strip(),
        scopes=(form.scopes.data or "read").split(),
        ip=client_ip(),
    )
    db.commit()
    # Rendered, not flashed: the secret must never sit in a (signed, readable) session cookie.
    return _page(TokenForm(formdata=None), secret=secret, status=201)


@bp.post("/<int:token_id>/revoke")
@login_required
def revoke(token_id: int):  # type: ignore[no-untyped-def]
    if not RevokeForm().validate_on_submit():
        raise UserFacingError(400, "Your form has expired. Please reload the page and try again.")
    user = current_user()
    token = revoke_owned_token(db, user.id, token_id, ip=client_ip())
    if token is None:
        raise UserFacingError(404, "There is no such token.")
    db.commit()
    flash(f"Revoked the token {token.name or token.prefix}.", "success")
    return redirect(url_for("token_settings.index"))
