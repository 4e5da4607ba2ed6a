"""Access control across every workspace route: only the developer, the assigned reviewer and
admins see a ticket's code, comments and files; everyone else gets the same 404."""

from datetime import timedelta

import pytest

from accounts.tokens import create_token
from models.base import utcnow
from models.offers import Offer
from reviews import comments
from tests.support.factories import make_user
from tests.support.workspace import make_clean_attachment, make_reviewer, make_workspace, sign_in

SECRET = "SELECT * FROM users WHERE id"
ALLOWED = {"owner", "assigned_reviewer", "admin"}
ROLES = [
    "anonymous",
    "other_developer",
    "other_reviewer",
    "offered_reviewer",
    "assigned_reviewer",
    "owner",
    "admin",
]


@pytest.fixture
def world(session, settings, tmp_path):
    ws = make_workspace(session, settings, tmp_path)
    offered = make_reviewer(session, "offered@example.com", "offered")
    session.add(
        Offer(
            submission_id=ws.ticket.id,
            reviewer_id=offered.id,
            status="offered",
            expires_at=utcnow() + timedelta(hours=2),
        )
    )
    people = {
        "anonymous": None,
        "other_developer": make_user(session, "other@example.com"),
        "other_reviewer": make_reviewer(session, "rev2@example.com", "rev2"),
        "offered_reviewer": offered,
        "assigned_reviewer": ws.reviewer,
        "owner": ws.owner,
        "admin": make_user(session, "admin@example.com", "admin"),
    }
    comment = comments.add_comment(
        session, ws.ticket, ws.reviewer, path="app/main.py", line_start=5, body="injection here"
    )
    patch = f"--- a/app/main.py\n+++ b/app/main.py\n@@ -5 +5 @@\n-{SECRET}\n+safe()\n"
    attachment = make_clean_attachment(
        session, ws.ticket, ws.reviewer, data=patch.encode(), kind="patch", filename="fix.patch"
    )
    session.commit()
    return ws, people, comment, attachment


def _get_routes(tid, comment, attachment):
    return [
        f"/tickets/{tid}/code",
        f"/tickets/{tid}/code?path=app/main.py",
        f"/tickets/{tid.lower()}/code?path=app/main.py",
        f"/tickets/{tid}/review",
        f"/tickets/{tid}/attachments/{attachment.id}",
        f"/tickets/{tid}/attachments/{attachment.id}/diff",
        f"/api/v1/tickets/{tid}/comments",
    ]


def _post_routes(tid, comment, attachment):
    return [
        (f"/tickets/{tid}/code/comments", {"path": "app/main.py", "line_start": "2", "body": "x"}),
        (f"/tickets/{tid}/code/comments/{comment.id}/reply", {"body": "x"}),
        (f"/tickets/{tid}/code/comments/{comment.id}/edit", {"body": "x"}),
        (f"/tickets/{tid}/code/comments/{comment.id}/resolve", {"resolved": "1"}),
        (f"/tickets/{tid}/feedback", {"overall": "x"}),
        (f"/tickets/{tid}/rating", {"score": "5"}),
        (f"/tickets/{tid}/attachments", {"kind": "report"}),
    ]


@pytest.mark.parametrize("role", ROLES)
def test_every_workspace_page_answers_404_to_everyone_but_owner_reviewer_and_admin(
    client, world, role
):
    ws, people, comment, attachment = world
    if people[role] is not None:
        sign_in(client, people[role])
    for url in _get_routes(ws.ticket.ticket_id, comment, attachment):
        response = client.get(url)
        if role in ALLOWED:
            assert response.status_code == 200, (role, url)
        else:
            expected = {404} if not url.startswith("/api/") or people[role] else {401}
            assert response.status_code in expected, (role, url, response.status_code)
            assert SECRET not in response.text and "injection here" not in response.text


@pytest.mark.parametrize("role", [r for r in ROLES if r not in ALLOWED])
def test_every_workspace_action_answers_404_and_changes_nothing_for_outsiders(
    client, world, session, role
):
    ws, people, comment, attachment = world
    if people[role] is not None:
        sign_in(client, people[role])
    for url, data in _post_routes(ws.ticket.ticket_id, comment, attachment):
        response = client.post(url, data=data)
        assert response.status_code == 404, (role, url, response.status_code)
    headers = {"Authorization": "Bearer vt_not-a-real-token"}
    if people[role] is not None:
        _token, secret = create_token(session, people[role])
        session.commit()
        headers = {"Authorization": f"Bearer {secret}"}
    api_url = f"/api/v1/tickets/{ws.ticket.ticket_id}/comments"
    patched = client.patch(f"{api_url}/{comment.id}", json={"resolved": True}, headers=headers)
    posted = client.post(api_url, json={"parent_id": comment.id, "body": "x"}, headers=headers)
    expected = 404 if people[role] is not None else 401
    assert (patched.status_code, posted.status_code) == (expected, expected)
    session.expire_all()
    assert comment.body == "injection here" and not comment.resolved
    assert len(comments.threads_for_ticket(session, ws.ticket)) == 1


@pytest.mark.parametrize("role", ["owner", "assigned_reviewer", "admin"])
def test_guessed_urls_are_404_even_for_people_who_may_see_the_ticket(
    client, world, session, settings, tmp_path, role
):
    ws, people, comment, attachment = world
    other = make_workspace(
        session,
        settings,
        tmp_path,
        owner_email="o2@example.com",
        reviewer_email="r2@example.com",
        handle="r2",
    )
    foreign = make_clean_attachment(session, other.ticket, other.reviewer, data=b"theirs")
    session.commit()
    sign_in(client, people[role])
    tid = ws.ticket.ticket_id
    guesses = [
        "/tickets/VT-0000-0000/code",
        "/tickets/not-a-ticket/code",
        f"/tickets/{tid}/attachments/{foreign.id}",
        f"/tickets/{tid}/attachments/999999",
        f"/tickets/{tid}/attachments/{foreign.id}/diff",
        "/api/v1/tickets/VT-0000-0000/comments",
    ]
    if role != "admin":
        guesses.append(f"/tickets/{other.ticket.ticket_id}/code")
    for url in guesses:
        response = client.get(url)
        assert response.status_code == 404, (role, url)
        assert "theirs" not in response.text


def test_code_is_hidden_from_everyone_until_the_scan_passed(client, session, settings, tmp_path):
    ws = make_workspace(session, settings, tmp_path)
    ws.ticket.scanned_at = None
    session.commit()
    sign_in(client, ws.owner)
    assert client.get(f"/tickets/{ws.ticket.ticket_id}/code").status_code == 404


def test_attachments_are_not_downloadable_before_a_clean_scan(client, session, settings, tmp_path):
    ws = make_workspace(session, settings, tmp_path)
    pending = make_clean_attachment(session, ws.ticket, ws.reviewer, scan_status="pending")
    session.commit()
    sign_in(client, ws.owner)
    response = client.get(f"/tickets/{ws.ticket.ticket_id}/attachments/{pending.id}")
    assert response.status_code == 404
