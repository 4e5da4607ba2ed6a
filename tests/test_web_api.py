"""web.api: Bearer tokens and browser sessions; the OpenAPI document."""

from accounts.tokens import create_token
from tests.support.factories import PASSWORD, make_user


def test_a_bearer_token_authenticates_api_calls(client, session):
    user = make_user(session, "ada@example.com")
    _, secret = create_token(session, user)
    session.commit()
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    assert response.get_json()["email"] == "ada@example.com"


def test_a_wrong_token_is_401_in_the_json_shape(client):
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer vt_wrong"})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_the_browser_session_also_authenticates_api_calls(client, session):
    make_user(session, "ada@example.com")
    session.commit()
    client.post("/sign-in", data={"email": "ada@example.com", "password": PASSWORD})
    assert client.get("/api/v1/me").get_json()["email"] == "ada@example.com"


def test_the_openapi_document_describes_the_api(client):
    spec = client.get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/me" in spec["paths"]
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_anonymous_calls_are_refused_before_their_input_is_validated(app, client):
    from flask_smorest import Blueprint
    from marshmallow import Schema, fields

    from web.api import api, public

    class Body(Schema):
        name = fields.String(required=True)

    blp = Blueprint("probe", __name__, url_prefix="/api/v1/probe")

    @blp.route("", methods=["POST"])
    @blp.arguments(Body)
    def probe(body):
        return {"ok": True}

    @blp.route("/open")
    @public
    def open_probe():
        return {"open": True}

    api.register_blueprint(blp)
    assert client.post("/api/v1/probe", json={}).status_code == 401
    assert client.get("/api/v1/probe/open").get_json() == {"open": True}
