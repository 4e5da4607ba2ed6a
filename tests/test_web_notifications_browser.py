"""The navbar alerts menu in headless Chromium: the count rises and falls without a reload."""

from __future__ import annotations

import re

import pytest

from notify import jobs
from tests.support.factories import PASSWORD, make_ticket, make_user
from tests.support.live import chromium_browser as chromium
from tests.support.live import live_server


@pytest.fixture
def app_config(app_config):
    app_config.update(wtf_csrf_enabled=True, notifications_poll_seconds=1)
    return app_config


@pytest.fixture
def base_url(app):
    with live_server(app) as url:
        yield url


@pytest.fixture
def browser():
    with chromium() as b:
        yield b


def test_the_unread_count_rises_when_an_event_happens_and_falls_when_read(
    session, base_url, browser
):
    from playwright.sync_api import expect

    dev = make_user(session, "dev@example.com", name="Dana")
    session.commit()
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{base_url}/sign-in")
    page.fill("input[name=email]", "dev@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/dashboard$"))

    badge = page.locator("#notification-count")
    expect(badge).to_be_hidden()
    loaded_at = page.evaluate("performance.timeOrigin")

    # two events happen while the page is open
    first = make_ticket(session, dev)
    second = make_ticket(session, dev)
    session.commit()
    jobs.ticket_event(ticket_id=first.id, event="ticket.submitted")
    jobs.ticket_event(ticket_id=second.id, event="ticket.submitted")
    expect(badge).to_have_text("2", timeout=10_000)
    expect(badge).to_be_visible()
    assert page.evaluate("performance.timeOrigin") == loaded_at  # no reload happened

    # the menu lists them, each linking to its ticket; opening one marks it read
    page.click("#notification-toggle")
    item = page.locator(f"#notification-list a[href='/tickets/{first.ticket_id}']")
    expect(item).to_have_text(f"Review request {first.ticket_id} received")
    with page.expect_request(re.compile(r".*/notifications/\d+/read$")):
        item.click()
    page.goto(f"{base_url}/dashboard")
    expect(page.locator("#notification-count")).to_have_text("1")
    loaded_at = page.evaluate("performance.timeOrigin")

    # "Mark all read" in the menu brings it to zero without a reload
    page.click("#notification-toggle")
    page.click("#notification-read-all")
    expect(page.locator("#notification-count")).to_be_hidden()
    assert page.locator("#notification-count").get_attribute("data-count") == "0"
    assert page.evaluate("performance.timeOrigin") == loaded_at

    # a third event: up again; marked read on the alerts page: down again
    third = make_ticket(session, dev)
    session.commit()
    jobs.ticket_event(ticket_id=third.id, event="ticket.submitted")
    expect(page.locator("#notification-count")).to_have_text("1", timeout=10_000)
    page.goto(f"{base_url}/notifications")
    page.locator(".mark-read").first.click()
    expect(page.locator("#notification-count")).to_be_hidden()
    assert errors == []
