"""rq's dashboard in headless Chromium: under its own CSP its scripts run, the queue list fills
in from the real Redis, and the browser reports no blocked script or style."""

from __future__ import annotations

import re

import pytest

from jobs.dispatch import QUEUE_NAME, RqDispatcher
from jobs.outbox import enqueue
from tests.support import jobs as test_jobs
from tests.support.factories import PASSWORD, make_user
from tests.support.live import chromium_browser as chromium
from tests.support.live import live_server

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config(app_config, redis_url):
    app_config.update(redis_url=redis_url, wtf_csrf_enabled=True)
    return app_config


@pytest.fixture
def base_url(app):
    with live_server(app) as url:
        yield url


@pytest.fixture
def browser():
    with chromium() as b:
        yield b


def test_an_admin_sees_the_queue_list_render_with_no_csp_errors(
    session, settings, base_url, browser
):
    from playwright.sync_api import expect

    make_user(session, "admin@example.com", "admin")
    enqueue(session, test_jobs.count_runs, tag="in-browser")
    session.commit()
    assert RqDispatcher(settings).dispatch_once() == 1

    page = browser.new_page()
    page.goto(f"{base_url}/sign-in")
    page.fill("input[name=email]", "admin@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/dashboard$"))

    # from here on (the site itself has no /favicon.ico, which the browser asks for once)
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
    page.click("text=Job queues")
    page.wait_for_url(re.compile(r".*/admin/rq/$"))
    row = page.locator("#queues tr[data-role=queue]")
    expect(row).to_have_count(1, timeout=10_000)  # filled in by its script from queues.json
    expect(row.locator("td").first).to_have_text(QUEUE_NAME)
    expect(row.locator("td").nth(1)).to_have_text("1")

    page.goto(f"{base_url}/admin/rq/0/view/jobs/{QUEUE_NAME}/queued/8/asc/1")
    expect(page.locator("tr[data-role=job]")).to_have_count(1, timeout=10_000)
    assert problems == []


def test_a_job_error_carrying_markup_is_shown_as_text_not_rendered(
    session, settings, base_url, browser, redis_url
):
    from playwright.sync_api import expect
    from redis import Redis
    from rq import Queue

    make_user(session, "admin@example.com", "admin")
    session.commit()
    queue = Queue(QUEUE_NAME, connection=Redis.from_url(redis_url))
    job = test_jobs.failed_rq_job(queue, '<b id="injected">repo "x"</b>')

    page = browser.new_page()
    page.goto(f"{base_url}/sign-in")
    page.fill("input[name=email]", "admin@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/dashboard$"))
    page.goto(f"{base_url}/admin/rq/0/view/job/{job.id}")
    expect(page.locator("pre.exc_info")).to_contain_text('<b id="injected">', timeout=10_000)
    assert page.locator("#injected").count() == 0
