"""Every role against every route that names a ticket: outsiders get 404 (no existence leak).

Routes come from the URL map, so the ticket pages and API operations of the intake and
workspace rooms are covered as soon as they merge, and any new one without the check fails here.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from accounts.tokens import create_token
from models.base import utcnow
from models.offers import Offer
from models.tickets import TicketStatus
from tests.support.factories import PASSWORD, make_ticket, make_user

OUTSIDERS = ("other_dev", "other_rev")
WRITE = {"POST", "PUT", "PATCH", "DELETE"}


def ticket_rules(app):  # type: ignore[no-untyped-def]
    return [r for r in app.url_map.iter_rules() if "ticket_id" in r.arguments]


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    people = {
        "other_dev": make_user(session, "other.dev@example.com"),
        "other_rev": make_user(session, "other.rev@example.com", "reviewer"),
        "offered": make_user(session, "offered@example.com", "reviewer"),
        "assigned": make_user(session, "assigned@example.com", "reviewer"),
        "owner": make_user(session, "owner@example.com"),
        "admin": make_user(session, "admin@example.com", "admin"),
    }
    ticket = make_ticket(session, people["owner"], description="secret plans")
    ticket.status = TicketStatus.IN_REVIEW.value
    ticket.scanned_at = utcnow()
    ticket.reviewer_id = people["assigned"].id
    session.add(
        Offer(
            submission_id=ticket.id,
            reviewer_id=people["offered"].id,
            expires_at=utcnow() + timedelta(hours=1),
        )
    )
    session.commit()
    return people, ticket


def _url(rule, ticket) -> str:  # type: ignore[no-untyped-def]
    url = rule.rule
    for name in rule.arguments:
        converter = rule._converters[name].__class__.__name__
        if name == "ticket_id":
            value = str(ticket.id) if converter == "IntegerConverter" else ticket.ticket_id
        elif name in ("path", "file_path"):
            value = "README.md"
        else:
            value = "1"
        url = re.sub(rf"<(?:[^:<>]+:)?{name}>", value, url)
    return url


def _client(app, session, user):  # type: ignore[no-untyped-def]
    client = app.test_client()
    client.post("/sign-in", data={"email": user.email, "password": PASSWORD})
    _, secret = create_token(session, user, name="matrix")
    session.commit()
    return client, {"Authorization": f"Bearer {secret}"}


def leaks(app, session, people, ticket, rules) -> list[str]:  # type: ignore[no-untyped-def]
    """Every answer to an outsider or anonymous caller that is not a plain refusal."""
    found = []
    anonymous = app.test_client()
    for rule in rules:
        url = _url(rule, ticket)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = anonymous.open(url, method=method)
            if response.status_code not in (302, 401, 404):
                found.append(f"anonymous {method} {url} -> {response.status_code}")
            for role in OUTSIDERS:
                client, headers = _client(app, session, people[role])
                kwargs = {"headers": headers} if url.startswith("/api/") else {}
                response = client.open(url, method=method, **kwargs)
                if response.status_code != 404:
                    found.append(f"{role} {method} {url} -> {response.status_code}")
    return found


def test_outsiders_and_anonymous_callers_cannot_tell_a_ticket_exists(app, session, world):
    people, ticket = world
    rules = ticket_rules(app)
    if not rules:
        pytest.skip("no route names a ticket yet (they arrive with the intake and workspace rooms)")
    found = leaks(app, session, people, ticket, rules)
    assert not found, "\n".join(found)


@pytest.fixture
def standin_app(app_config, monkeypatch):  # type: ignore[no-untyped-def]
    import app as app_module

    monkeypatch.setattr(
        app_module, "BLUEPRINTS", [*app_module.BLUEPRINTS, "tests.support.security:tickets_bp"]
    )
    return app_module.create_app(app_config)


def test_the_matrix_passes_a_route_that_asks_policy_and_catches_one_that_forgets(
    standin_app, session, world
):
    people, ticket = world
    rules = {r.endpoint: r for r in ticket_rules(standin_app)}
    assert leaks(standin_app, session, people, ticket, [rules["standin_tickets.checked"]]) == []
    found = leaks(standin_app, session, people, ticket, [rules["standin_tickets.leaky"]])
    assert {line.split()[0] for line in found} == {"anonymous", "other_dev", "other_rev"}
    for role in ("offered", "assigned", "owner", "admin"):
        client, _ = _client(standin_app, session, people[role])
        assert client.get(f"/stand-in/tickets/{ticket.ticket_id}").status_code == 200, role


CODE_PAGES = ("/code", "/review", "/comments")


def test_an_offered_reviewer_cannot_open_the_code_before_accepting(app, session, world):
    people, ticket = world
    client, _ = _client(app, session, people["offered"])
    for rule in ticket_rules(app):
        if rule.rule.endswith(CODE_PAGES) and "GET" in rule.methods:
            assert client.get(_url(rule, ticket)).status_code == 404, rule.rule


def test_the_people_on_a_ticket_can_open_it(app, session, world):
    people, ticket = world
    pages = [r for r in ticket_rules(app) if r.arguments == {"ticket_id"} and "GET" in r.methods]
    if not pages:
        pytest.skip("no ticket page yet (it arrives with the intake room)")
    for role in ("offered", "assigned", "owner", "admin"):
        client, headers = _client(app, session, people[role])
        for rule in pages:
            if role == "offered" and rule.rule.endswith(CODE_PAGES):
                continue  # an offer shows the ticket; the code opens only once it is accepted
            url = _url(rule, ticket)
            kwargs = {"headers": headers} if url.startswith("/api/") else {}
            assert client.get(url, **kwargs).status_code == 200, (role, url)
