"""The review workspace in a real browser (headless Chromium through Playwright).

A reviewer with a ticket already in review comments on two lines in two files (one with a
suggestion), moves between comments with the keyboard and completes the review; the developer
replies, rates, and the rating shows on the reviewer's public profile. Attaching a report (and
the developer downloading it) is its own test.
"""

import re
from pathlib import Path

import pytest

from tests.support.factories import PASSWORD
from tests.support.live import chromium_browser, live_server, screenshot
from tests.support.workspace import make_workspace


@pytest.fixture
def app_config(app_config):
    app_config["wtf_csrf_enabled"] = True
    return app_config


@pytest.fixture
def live(app):
    with live_server(app) as url:
        yield url


@pytest.fixture
def browser():
    with chromium_browser() as b:
        yield b


def sign_in(browser, base, email):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{base}/sign-in")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/dashboard$"))
    return page, errors


def add_comment(page, first, last, body, category, severity, suggestion=None):
    page.click(f"#L{first} .vt-ln a")
    if last != first:
        page.click(f"#L{last} .vt-ln a", modifiers=["Shift"])
    form = page.locator("#comment-form")
    assert form.locator("[name=line_start]").input_value() == str(first)
    assert form.locator("[name=line_end]").input_value() == str(last)
    form.locator("[name=body]").fill(body)
    form.locator("[name=category]").select_option(category)
    form.locator("[name=severity]").select_option(severity)
    if suggestion is not None:
        form.locator("#with-suggestion").check()
        box = form.locator("#suggestion")
        assert "request.args" in box.input_value()  # prefilled with the selected lines
        box.fill(suggestion)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()


def current_comment(page):
    return page.locator(".vt-thread.current").get_attribute("id")


def test_a_review_from_first_comment_to_public_rating(live, browser, session, settings, tmp_path):
    ws = make_workspace(session, settings, tmp_path)
    tid = ws.ticket.ticket_id

    # --- the reviewer ---------------------------------------------------------------------
    page, errors = sign_in(browser, live, ws.reviewer.email)
    screenshot(page, "01-reviewer-dashboard")
    page.click(f"a[href='/tickets/{tid}/code']")
    page.click("#file-tree a:text-is('main.py')")
    add_comment(
        page,
        5,
        6,
        "Build the query with **parameters**.",
        "security",
        "high",
        suggestion='    return db.execute("SELECT * FROM users WHERE id = %s", (user_id,))',
    )
    assert page.locator(".vt-thread .vt-diff-add").count() == 1
    page.keyboard.press("t")
    page.keyboard.type("util")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*path=app/util\.js.*"))
    add_comment(page, 2, 2, "Missing semicolon.", "best-practice", "low")
    screenshot(page, "02-viewer-with-comments")

    ids = page.locator("#comment-list .vt-jump").evaluate_all("els => els.map(e => e.dataset.id)")
    assert len(ids) == 2
    main_id, util_id = ids
    assert current_comment(page) == f"c{util_id}"
    page.keyboard.press("k")  # previous comment lives in another file: the viewer goes there
    page.wait_for_url(re.compile(rf".*path=app/main\.py#c{main_id}$"))
    assert current_comment(page) == f"c{main_id}"
    assert "Comment 1 of 2" in page.inner_text("#comment-position")
    screenshot(page, "02b-viewer-suggestion")
    page.keyboard.press("j")
    page.wait_for_url(re.compile(rf".*path=app/util\.js#c{util_id}$"))
    assert current_comment(page) == f"c{util_id}"

    page.click("text=Summary & files")
    page.fill("#fb-security", "SQL injection in `handler` (see comments).")
    page.fill("#fb-performance", "`slow()` is quadratic; use `list.append`.")
    page.fill("#fb-best_practices", "Add tests.")
    page.fill("#fb-overall", "Solid start. <script>alert(1)</script>Fix the injection first.")
    page.select_option("#fb-verdict", "approved_with_suggestions")
    page.click("#feedback-form button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("#feedback").count() == 1
    assert "alert(1)" not in page.inner_html("#feedback")
    screenshot(page, "03-review-completed")
    assert errors == []

    # --- the developer --------------------------------------------------------------------
    dev, dev_errors = sign_in(browser, live, ws.owner.email)
    screenshot(dev, "04-developer-dashboard")
    dev.goto(f"{live}/tickets/{tid}/code?path=app/main.py")
    thread = dev.locator(f"#c{main_id}")
    thread.locator("summary:text-is('Reply')").click()
    thread.locator("textarea[name=body]").fill("Thanks — fixed with parameters.")
    thread.locator("button:text-is('Post reply')").click()
    dev.wait_for_load_state()
    assert "Thanks — fixed with parameters." in dev.inner_text(f"#c{main_id}")

    dev.goto(f"{live}/tickets/{tid}/review")
    dev.click("label[for=score-5]")
    dev.select_option("#rt-clarity", "4")
    dev.fill("#rt-comment", "Found a real injection bug, explained clearly.")
    dev.click("#rating-form button[type=submit]")
    dev.wait_for_load_state()
    screenshot(dev, "05-rated")

    profile = dev.context.new_page()
    profile.goto(f"{live}/reviewers/reva")
    assert profile.inner_text("#rating-average") == "5.0"
    assert "Found a real injection bug" in profile.inner_text("body")
    assert tid not in profile.inner_text("body")
    screenshot(profile, "06-public-profile")
    assert dev_errors == []


def test_dashboard_profile_and_directory_pages_render_in_the_browser(
    live, browser, session, settings, tmp_path
):
    from models.reviewers import ReviewerProfile
    from models.reviews import Rating
    from reviews.state import transition
    from tests.support.factories import make_ticket
    from tests.support.workspace import make_reviewer

    ws = make_workspace(session, settings, tmp_path)
    for end in ["rejected", "unmatched", None, "matching"]:
        t = make_ticket(session, ws.owner, review_types=["performance"])
        transition(session, t, "scanning")
        if end == "rejected":
            transition(session, t, "rejected", reason="Malware found: Eicar-Test-Signature")
        elif end in {"unmatched", "matching"}:
            transition(session, t, "matching")
            if end == "unmatched":
                transition(session, t, "unmatched", reason="No python reviewer is available yet")
    done = make_ticket(session, ws.owner)
    from tests.support.workspace import advance_to_review

    advance_to_review(session, done, ws.reviewer)
    transition(session, done, "completed")
    session.add(
        Rating(
            submission_id=done.id,
            reviewer_id=ws.reviewer.id,
            rater_id=ws.owner.id,
            score=4,
            comment="Thorough and kind.",
        )
    )
    profile = session.query(ReviewerProfile).filter_by(user_id=ws.reviewer.id).one()
    profile.rating_sum, profile.rating_count, profile.rating_avg = 4, 1, 4.0
    make_reviewer(session, "r2@example.com", "rustacean", ["rust", "security"], name="Rusty")
    session.commit()

    page, errors = sign_in(browser, live, ws.owner.email)
    assert page.locator(".vt-tickets tbody tr").count() == 6
    assert page.locator(".vt-progress-end .badge:text-is('Rejected')").count() == 1
    screenshot(page, "10-developer-dashboard")
    page.click(".vt-filters a:has-text('Unmatched')")
    assert page.locator(".vt-tickets tbody tr").count() == 1
    page.goto(f"{live}/reviewers/reva")
    assert page.inner_text("#rating-average") == "4.0"
    screenshot(page, "11-public-profile")
    page.goto(f"{live}/reviewers")
    page.click(".vt-filters a:text-is('rust')")
    assert page.locator(".vt-reviewer-card").count() == 1
    screenshot(page, "12-directory")
    assert errors == []


def test_the_reviewer_attaches_a_report_and_the_developer_downloads_it(
    live, browser, session, settings, tmp_path
):
    from settings import activate

    activate(settings)
    ws = make_workspace(session, settings, tmp_path)
    tid = ws.ticket.ticket_id
    page, errors = sign_in(browser, live, ws.reviewer.email)
    page.goto(f"{live}/tickets/{tid}/code")
    page.click("text=Summary & files")
    page.select_option("#att-kind", "report")
    report = tmp_path / "security-report.md"
    report.write_text("# Findings\n\n1. SQL injection in handler\n")
    page.set_input_files("#att-file", str(report))
    page.click("#attach-form button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("#attachments a:text-is('security-report.md')").count() == 1

    screenshot(page, "07-attachment")
    assert errors == []
    dev, _dev_errors = sign_in(browser, live, ws.owner.email)
    dev.goto(f"{live}/tickets/{tid}/review")
    with dev.expect_download() as download:
        dev.click("#attachments a:text-is('security-report.md')")
    assert download.value.suggested_filename == "security-report.md"
    assert "SQL injection in handler" in Path(download.value.path()).read_text()
