"""web.offers and web.api.offers: answering offers on the page and through the API."""

from __future__ import annotations

from sqlalchemy import select

from matching.jobs import match_ticket
from models.offers import Offer
from reviews.state import transition
from tests.support.factories import make_ticket, make_user
from tests.support.reviewers import make_reviewer
from tests.support.web import bearer, sign_in


def offered(session, settings, owner_email="dev@example.com"):
    owner = make_user(session, owner_email)
    ticket = make_ticket(session, owner, languages=["python"])
    transition(session, ticket, "scanning")
    transition(session, ticket, "matching")
    session.commit()
    match_ticket(ticket.id, settings)
    session.refresh(ticket)
    return ticket, session.scalar(select(Offer).where(Offer.submission_id == ticket.id))


def test_the_offer_page_says_why_and_accepting_starts_the_review(client, session, settings):
    make_reviewer(session, "rev@example.com", ["security", "python"])
    session.commit()
    ticket, offer = offered(session, settings)
    sign_in(client, "rev@example.com")
    page = client.get(f"/offers/{offer.id}").get_data(as_text=True)
    assert ticket.ticket_id in page and "Why you were matched" in page
    assert "Verified for security, python" in page
    response = client.post(f"/offers/{offer.id}/accept")
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"/tickets/{ticket.ticket_id}"
    )
    session.refresh(ticket)
    assert ticket.status == "in_review"


def test_declining_on_the_page_records_the_reason(client, session, settings):
    make_reviewer(session, "rev@example.com", ["security", "python"])
    session.commit()
    ticket, offer = offered(session, settings)
    sign_in(client, "rev@example.com")
    too_long = client.post(
        f"/offers/{offer.id}/decline", data={"reason": "x" * 1001}, follow_redirects=True
    )
    assert "under 1,000 characters" in too_long.get_data(as_text=True)
    session.refresh(offer)
    assert offer.status == "offered"  # bad input changes nothing
    client.post(f"/offers/{offer.id}/decline", data={"reason": "Too busy"})
    session.refresh(offer)
    assert (offer.status, offer.reason) == ("declined", "Too busy")


def test_someone_elses_offer_is_not_found(client, session, settings):
    make_reviewer(session, "rev@example.com", ["security", "python"])
    make_user(session, "nosy@example.com")
    session.commit()
    _, offer = offered(session, settings)
    sign_in(client, "nosy@example.com")
    assert client.get(f"/offers/{offer.id}").status_code == 404
    assert client.post(f"/offers/{offer.id}/accept").status_code == 404
    headers = bearer(session, "nosy@example.com")
    assert client.post(f"/api/v1/offers/{offer.id}/accept", headers=headers).status_code == 404


def test_the_api_lists_and_answers_offers(client, session, settings):
    make_reviewer(session, "rev@example.com", ["security", "python"])
    session.commit()
    ticket, offer = offered(session, settings)
    headers = bearer(session, "rev@example.com")
    listed = client.get("/api/v1/offers?status=offered", headers=headers).get_json()
    assert [o["ticket_id"] for o in listed["offers"]] == [ticket.ticket_id]
    bad = client.get("/api/v1/offers?status=maybe", headers=headers)
    assert bad.status_code == 422
    declined = client.post(
        f"/api/v1/offers/{offer.id}/decline", json={"reason": "Away"}, headers=headers
    )
    assert declined.status_code == 200 and declined.get_json()["status"] == "declined"
    again = client.post(f"/api/v1/offers/{offer.id}/accept", headers=headers)
    assert again.status_code == 409
    assert again.get_json()["error"]["message"] == "This offer is no longer open: it was declined."


def test_the_developer_can_retry_an_unmatched_ticket(client, session, settings):
    owner = make_user(session, "dev@example.com")
    ticket = make_ticket(session, owner)
    transition(session, ticket, "scanning")
    transition(session, ticket, "matching")
    session.commit()
    match_ticket(ticket.id, settings)
    sign_in(client, "dev@example.com")
    headers = bearer(session, "dev@example.com")
    response = client.post(f"/api/v1/tickets/{ticket.ticket_id}/rematch", headers=headers)
    assert response.status_code == 200 and response.get_json()["status"] == "matching"
    again = client.post(f"/api/v1/tickets/{ticket.ticket_id}/rematch", headers=headers)
    assert again.status_code == 409
    match_ticket(ticket.id, settings)
    page = client.post(f"/tickets/{ticket.ticket_id}/rematch")
    assert page.status_code == 302
    session.refresh(ticket)
    assert ticket.status == "matching"


def test_someone_else_cannot_retry_a_ticket(client, session, settings):
    owner = make_user(session, "dev@example.com")
    make_user(session, "other@example.com")
    ticket = make_ticket(session, owner)
    session.commit()
    sign_in(client, "other@example.com")
    headers = bearer(session, "other@example.com")
    path = f"/api/v1/tickets/{ticket.ticket_id}/rematch"
    assert client.post(path, headers=headers).status_code == 404
    assert client.post(f"/tickets/{ticket.ticket_id}/rematch").status_code == 404


def test_a_reviewer_accepts_an_offer_in_a_real_browser(app_config, session):
    from app import create_app
    from tests.support.factories import PASSWORD
    from tests.support.live import chromium_browser as chromium
    from tests.support.live import live_server

    application = create_app({**app_config, "wtf_csrf_enabled": True})  # CSRF on, as in production
    with live_server(application) as url:
        make_reviewer(session, "rev@example.com", ["security", "python"])
        session.commit()
        ticket, offer = offered(session, application.config["SETTINGS"])
        with chromium() as browser:
            page = browser.new_page()
            page.goto(f"{url}/sign-in")
            page.fill("input[name=email]", "rev@example.com")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.goto(f"{url}/offers")
            page.click(f"a[href='/offers/{offer.id}']")
            assert page.locator("text=Why you were matched").count() == 1
            assert page.locator("script:not([src])").count() == 0  # no inline scripts (CSP)
            page.click("button:has-text('Accept')")
            page.wait_for_url(f"**/tickets/{ticket.ticket_id}")
    session.refresh(ticket)
    assert ticket.status == "in_review" and ticket.reviewer_id == offer.reviewer_id
