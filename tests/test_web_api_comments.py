"""web.api.comments: the review's comments over the JSON API."""

import pytest

from accounts.tokens import create_token
from models.reviews import ReviewComment
from tests.support.workspace import forget_user, make_workspace


@pytest.fixture
def ws(session, settings, tmp_path):
    return make_workspace(session, settings, tmp_path)


def _auth(session, user, scopes=None):
    forget_user()
    _token, secret = create_token(session, user, scopes=scopes)
    session.commit()
    return {"Authorization": f"Bearer {secret}"}


def test_the_reviewer_creates_a_comment_and_the_developer_replies_and_resolves(client, ws, session):
    url = f"/api/v1/tickets/{ws.ticket.ticket_id}/comments"
    created = client.post(
        url,
        json={
            "path": "app/main.py",
            "line_start": 5,
            "line_end": 6,
            "body": "SQLi",
            "category": "security",
            "severity": "high",
            "suggestion": "safe()",
        },
        headers=_auth(session, ws.reviewer),
    )
    assert created.status_code == 201, created.json
    cid = created.json["id"]
    assert created.json["path"] == "app/main.py" and created.json["suggestion"] == "safe()"
    dev = _auth(session, ws.owner)
    reply = client.post(url, json={"parent_id": cid, "body": "will fix"}, headers=dev)
    assert reply.status_code == 201 and reply.json["parent_id"] == cid
    resolved = client.patch(f"{url}/{cid}", json={"resolved": True}, headers=dev)
    assert resolved.status_code == 200 and resolved.json["resolved"] is True
    listing = client.get(url, headers=dev).json
    assert len(listing) == 1 and listing[0]["replies"][0]["body"] == "will fix"


def test_invalid_comments_get_a_specific_error_in_the_json_shape(client, ws, session):
    url = f"/api/v1/tickets/{ws.ticket.ticket_id}/comments"
    response = client.post(
        url,
        json={"path": "app/main.py", "line_start": 400, "body": "x"},
        headers=_auth(session, ws.reviewer),
    )
    assert response.status_code == 422
    error = response.json["error"]
    assert (error["code"], error["message"]) == ("comment_refused", "The file has only 13 lines.")
    bad_category = client.post(
        url,
        json={"path": "app/main.py", "line_start": 1, "body": "x", "category": "vibes"},
        headers=_auth(session, ws.reviewer),
    )
    assert bad_category.status_code == 422 and "error" in bad_category.json
    assert session.query(ReviewComment).count() == 0


def test_a_read_only_token_cannot_write(client, ws, session):
    url = f"/api/v1/tickets/{ws.ticket.ticket_id}/comments"
    headers = _auth(session, ws.reviewer, scopes=["read"])
    assert client.get(url, headers=headers).status_code == 200
    response = client.post(
        url, json={"path": "app/main.py", "line_start": 1, "body": "x"}, headers=headers
    )
    assert response.status_code == 403


def test_editing_someone_elses_comment_is_refused(client, ws, session):
    url = f"/api/v1/tickets/{ws.ticket.ticket_id}/comments"
    cid = client.post(
        url,
        json={"path": "README.md", "line_start": 1, "body": "typo"},
        headers=_auth(session, ws.reviewer),
    ).json["id"]
    response = client.patch(
        f"{url}/{cid}", json={"body": "mine now"}, headers=_auth(session, ws.owner)
    )
    assert response.status_code == 422
    assert session.get(ReviewComment, cid).body == "typo"
