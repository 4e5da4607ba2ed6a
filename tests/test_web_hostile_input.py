"""The hostile-input pass over every route and API operation the app has (its URL map grows as
rooms merge): oversized fields, wrong types, unicode tricks, NUL bytes, script tags and path
traversal must all get a clean answer — a 4xx, or a 2xx/3xx where legitimate — never a 500."""

from __future__ import annotations

import pytest

from accounts.tokens import create_token
from tests.support.factories import PASSWORD, make_user
from tests.support.hostile_inputs import form_fields, json_properties, probes, rules

IDENTITIES = ("anonymous", "developer", "admin")


@pytest.fixture
def app_config(app_config):
    app_config["auto_block_threshold"] = 1_000_000  # the pass fails sign-in on purpose, often
    return app_config


def _client_for(app, session, identity):  # type: ignore[no-untyped-def]
    client = app.test_client()
    headers = {}
    if identity != "anonymous":
        email = f"{identity}@example.com"
        user = make_user(session, email, *(["admin"] if identity == "admin" else []))
        # a decoy takes id 1, which the probes use in paths (revoking it is fair game)
        create_token(session, user, name="decoy")
        _, secret = create_token(session, user, name="hostile")
        session.commit()
        client.post("/sign-in", data={"email": email, "password": PASSWORD})
        headers = {"Authorization": f"Bearer {secret}"}
    return client, headers


@pytest.mark.parametrize("identity", IDENTITIES)
def test_no_hostile_input_ever_causes_a_server_error(app, session, identity):
    client, headers = _client_for(app, session, identity)
    fields = form_fields(app, client)
    properties = json_properties(app, client)
    failures = []
    statuses: dict[str, set[int]] = {}
    # signing out and revoking tokens last, so every other probe runs signed in
    ordered = sorted(
        probes(app, fields, properties),
        key=lambda p: "/sign-out" in p.url or p.method == "DELETE",
    )
    for probe in ordered:
        kwargs = dict(probe.kwargs)
        if probe.url.startswith("/api/") and headers:
            kwargs["headers"] = headers
        response = getattr(client, probe.method.lower())(probe.url, **kwargs)
        statuses.setdefault(probe.method, set()).add(response.status_code)
        if response.status_code >= 500 or "Traceback" in response.get_data(as_text=True):
            failures.append(f"{response.status_code} {probe.describe()}")
    assert len(ordered) > 500
    assert not failures, "\n".join(failures[:40])
    if identity != "anonymous":
        # the pass got past authentication: the views themselves judged the bad input
        assert 422 in statuses["POST"]


def test_the_pass_reaches_every_route(app):
    from tests.support.hostile_inputs import BASE_FIELDS

    endpoints = {rule.endpoint for rule in rules(app)}
    probed = {p.url for p in probes(app, set(BASE_FIELDS), {})}
    assert len(endpoints) >= 10
    for rule in rules(app):
        assert any(url.startswith(rule.rule.split("<")[0]) for url in probed), rule.rule
