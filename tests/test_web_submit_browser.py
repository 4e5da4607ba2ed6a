"""The submit page in headless Chromium: the JS tus client uploads with a progress bar,
survives a dropped PATCH (resumes from the server's offset), and lands on the ticket page."""

import os
from pathlib import Path

import pytest

from intake import storage
from models.tickets import Submission
from tests.support.factories import PASSWORD, make_user
from tests.support.hostile import make_zip
from tests.support.intake import intake_settings_fixture  # noqa: F401
from tests.support.live import live_server
from tests.support.services import unavailable

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/lib/chromium/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = pytest.mark.browser


@pytest.fixture
def browser():
    if not Path(CHROMIUM).exists():
        unavailable(f"Chromium not found at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield instance
        finally:
            instance.close()


def sign_in(page, base):
    page.goto(f"{base}/sign-in")
    page.fill("input[name=email]", "dev@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def test_uploading_through_the_page_resumes_after_a_dropped_chunk(
    app, browser, session, intake_settings, tmp_path
):
    make_user(session, "dev@example.com")
    session.commit()
    archive = make_zip(tmp_path / "project.zip", {"big.bin": os.urandom(20 * 1024 * 1024)})
    dropped = []

    def drop_first_patch(route):
        if route.request.method == "PATCH" and not dropped:
            dropped.append(route.request.url)
            route.abort("connectionreset")
        else:
            route.continue_()

    with live_server(app) as base:
        page = browser.new_page()
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        sign_in(page, base)
        page.route("**/api/v1/uploads/*", drop_first_patch)
        page.goto(f"{base}/submit")
        page.set_input_files("#archive", str(archive))
        page.check("#rt-security")
        page.fill("#description", "please review")
        page.click("#submit-button")
        page.wait_for_url("**/tickets/VT-*", timeout=60_000)
        assert "VT-" in page.inner_text("#ticket-id")
        assert errors == []
        assert dropped, "the first PATCH was dropped and the client resumed"
    ticket = session.query(Submission).one()
    assert storage.read_blob(ticket.upload_id) == archive.read_bytes()
    assert ticket.archive_name == "project.zip"


def test_a_mistake_is_shown_on_the_page(app, browser, session, intake_settings, tmp_path):
    make_user(session, "dev@example.com")
    session.commit()
    not_archive = tmp_path / "notes.zip"
    not_archive.write_bytes(b"just some text, not a zip")
    with live_server(app) as base:
        page = browser.new_page()
        sign_in(page, base)
        page.goto(f"{base}/submit")
        page.set_input_files("#archive", str(not_archive))
        page.check("#rt-performance")
        page.click("#submit-button")
        page.wait_for_selector("#submit-error")
        assert "Invalid file format" in page.inner_text("#submit-error")
    assert session.query(Submission).count() == 0
