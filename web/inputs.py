"""Refusing text no part of Vetted can store (NUL characters) and JSON too deep to parse.

PostgreSQL rejects NUL in text (and ``\\u0000`` in JSON), so a NUL smuggled into a form field,
query string, path or JSON body would otherwise surface as a server error deep inside a view.
One check before every request answers 400 with a clear message instead. File contents
(multipart files, tus chunks) are bytes and are not inspected here.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, request

from web.errors import UserFacingError

# Forge payloads are verified and stored by the webhook door itself.
UNCHECKED_PREFIXES = ("/webhooks/",)
MAX_DEPTH = 64


def _has_nul(value: Any, depth: int = 0) -> bool:
    if depth > MAX_DEPTH:
        return False
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k, depth + 1) or _has_nul(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v, depth + 1) for v in value)
    return False


def _json_body() -> Any:
    """The parsed JSON body (cached for the view), refusing nesting Python cannot parse."""
    try:
        return request.get_json(silent=True, cache=True)
    except RecursionError:
        raise UserFacingError(
            400, "The JSON body is nested too deeply.", code="invalid_json"
        ) from None


def refuse_nul_characters() -> None:
    # Webhooks are checked by their receiver, which parses the signed body once itself.
    if request.path.startswith(UNCHECKED_PREFIXES):
        return
    body = _json_body() if request.is_json else None
    suspects: list[Any] = [request.path, list(request.args.items(multi=True))]
    if request.view_args:
        suspects.append(request.view_args)
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        suspects.append(list(request.form.items(multi=True)))
    elif request.is_json:
        suspects.append(body)
    for suspect in suspects:
        if isinstance(suspect, list):
            suspect = [
                part for pair in suspect for part in (pair if isinstance(pair, tuple) else (pair,))
            ]
        if _has_nul(suspect):
            raise UserFacingError(
                400,
                "The request contains a NUL character, which is never valid text.",
                code="invalid_text",
            )


def init_inputs(app: Flask) -> None:
    app.before_request(refuse_nul_characters)


NUL_FREE_PATTERN = "^[^\\u0000]*$"


def nul_free_strings(self: Any, field: Any, **kwargs: Any) -> dict[str, Any]:
    """apispec attribute function: document that every API string is NUL-free.

    The refusal above applies to every request, so the OpenAPI document says so for every plain
    string (clients and schemathesis then know a NUL is invalid rather than unexpected).
    """
    from marshmallow import fields

    ret = kwargs.get("ret", {})
    if (
        isinstance(field, fields.String)
        and ret.get("type") == "string"
        and not any(key in ret for key in ("pattern", "enum", "format"))
    ):
        return {"pattern": NUL_FREE_PATTERN}
    return {}


def document_nul_free_strings(api: Any) -> None:
    """Call right after ``api.init_app`` (before API blueprints are registered)."""
    api.ma_plugin.converter.add_attribute_function(nul_free_strings)
