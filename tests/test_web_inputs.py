"""web.inputs: NUL characters anywhere in text are refused with a clear 400."""

from __future__ import annotations

import pytest

from models.users import User


@pytest.mark.parametrize(
    "method, path, kwargs",
    [
        ("post", "/sign-up", {"data": {"email": "a\x00@example.com", "password": "x" * 12}}),
        ("get", "/sign-in?next=/\x00", {}),
        ("get", "/reset-password/abc%00def", {}),
        (
            "post",
            "/api/v1/tokens",
            {"json": {"name": "x\x00"}, "headers": {"Authorization": "Bearer x"}},
        ),
        (
            "post",
            "/api/v1/tokens",
            {
                "json": {"na\x00me": ["deep", {"k": "v\x00"}]},
                "headers": {"Authorization": "Bearer x"},
            },
        ),
    ],
)
def test_nul_characters_are_refused_before_any_view_runs(client, session, method, path, kwargs):
    if "headers" in kwargs:
        from accounts.tokens import create_token
        from tests.support.factories import make_user

        _, secret = create_token(session, make_user(session, "api@example.com"))
        session.commit()
        kwargs = {**kwargs, "headers": {"Authorization": f"Bearer {secret}"}}
    response = getattr(client, method)(path, **kwargs)
    assert response.status_code == 400
    assert "NUL character" in response.text
    assert session.query(User).filter(User.email != "api@example.com").count() == 0


def test_ordinary_unicode_passes(client):
    assert client.get("/sign-in?next=/dashboard%E2%80%AE").status_code == 200


def test_json_nested_too_deeply_is_refused_clearly(client, session):
    from accounts.tokens import create_token
    from tests.support.factories import make_user

    _, secret = create_token(session, make_user(session, "api@example.com"))
    session.commit()
    response = client.post(
        "/api/v1/tokens",
        data="[" * 5000 + "]" * 5000,
        content_type="application/json",
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 400
    assert response.json["error"]["message"] == "The JSON body is nested too deeply."
