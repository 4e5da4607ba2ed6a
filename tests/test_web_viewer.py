"""web.viewer: the code viewer page and its comment forms."""

import re

import pytest

from models.reviews import ReviewComment
from reviews import comments
from tests.support.workspace import make_workspace, sign_in


@pytest.fixture
def ws(session, settings, tmp_path):
    return make_workspace(session, settings, tmp_path)


def _code(client, ws, path=None):
    url = f"/tickets/{ws.ticket.ticket_id}/code"
    return client.get(url, query_string={"path": path} if path else None)


def test_the_viewer_shows_the_tree_and_the_file_highlighted_with_line_anchors(client, ws):
    sign_in(client, ws.reviewer)
    page = _code(client, ws, "app/main.py")
    assert page.status_code == 200
    html = page.text
    for path in ("app/main.py", "app/util.js", "README.md", "assets/logo.bin"):
        assert f'data-path="{path}"' in html
    assert 'id="L5"' in html and 'href="#L5"' in html
    assert '<span class="k">def</span>' in html
    assert "Python · 13 lines" in html


def test_binary_files_are_shown_as_binary(client, ws):
    sign_in(client, ws.owner)
    html = _code(client, ws, "assets/logo.bin").text
    assert 'id="binary-note"' in html and 'id="code"' not in html


def test_an_unknown_path_falls_back_to_the_first_text_file(client, ws):
    sign_in(client, ws.owner)
    assert 'id="file-name">README.md<' in _code(client, ws, "../../etc/passwd").text


def test_the_page_has_no_inline_scripts_or_event_handlers(client, ws):
    sign_in(client, ws.reviewer)
    html = _code(client, ws, "app/main.py").text
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert not re.search(r"\son[a-z]+\s*=", html)
    assert "/static/js/viewer.js" in html


def test_the_reviewer_adds_a_range_comment_with_a_suggestion_shown_as_a_diff(client, ws, session):
    sign_in(client, ws.reviewer)
    response = client.post(
        f"/tickets/{ws.ticket.ticket_id}/code/comments",
        data={
            "path": "app/main.py",
            "line_start": "5",
            "line_end": "6",
            "body": "Use a **parameterised** query",
            "category": "security",
            "severity": "critical",
            "with_suggestion": "1",
            "suggestion": "    return db.execute(SQL, (request.args['id'],))",
        },
    )
    assert response.status_code == 303
    comment = session.query(ReviewComment).one()
    assert response.location.endswith(f"path=app/main.py#c{comment.id}")
    html = client.get(response.location).text
    assert f'id="c{comment.id}"' in html and "<strong>parameterised</strong>" in html
    assert 'class="vt-diff-del"' in html and 'class="vt-diff-add"' in html
    assert "L5–6" in html and "vt-sev-critical" in html


def test_a_refused_comment_explains_why_and_keeps_what_was_typed(client, ws, session):
    sign_in(client, ws.reviewer)
    response = client.post(
        f"/tickets/{ws.ticket.ticket_id}/code/comments",
        data={"path": "app/main.py", "line_start": "99", "body": "my careful words"},
    )
    assert response.status_code == 400
    assert "The file has only 13 lines." in response.text
    assert "my careful words" in response.text
    assert session.query(ReviewComment).count() == 0


def test_the_developer_replies_and_resolves_then_reopens(client, ws, session):
    root = comments.add_comment(
        session, ws.ticket, ws.reviewer, path="app/main.py", line_start=5, body="inject"
    )
    session.commit()
    sign_in(client, ws.owner)
    base = f"/tickets/{ws.ticket.ticket_id}/code/comments/{root.id}"
    assert client.post(f"{base}/reply", data={"body": "Good catch"}).status_code == 303
    assert client.post(f"{base}/resolve", data={"resolved": "1"}).status_code == 303
    session.expire_all()
    assert session.get(ReviewComment, root.id).resolved
    html = _code(client, ws, "app/main.py").text
    assert "Good catch" in html and "Re-open" in html
    client.post(f"{base}/resolve", data={"resolved": "0"})
    session.expire_all()
    assert not session.get(ReviewComment, root.id).resolved


def test_the_developer_sees_no_form_to_open_threads(client, ws):
    sign_in(client, ws.owner)
    assert 'id="comment-form"' not in _code(client, ws, "app/main.py").text


def test_an_empty_reply_is_refused_with_a_message(client, ws, session):
    root = comments.add_comment(
        session, ws.ticket, ws.reviewer, path="app/main.py", line_start=5, body="inject"
    )
    session.commit()
    sign_in(client, ws.owner)
    url = f"/tickets/{ws.ticket.ticket_id}/code/comments/{root.id}/reply"
    response = client.post(url, data={"body": "  "}, follow_redirects=True)
    assert "Please write a comment." in response.text
    assert session.query(ReviewComment).count() == 1


def test_the_author_edits_a_comment(client, ws, session):
    root = comments.add_comment(
        session, ws.ticket, ws.reviewer, path="app/main.py", line_start=5, body="first"
    )
    session.commit()
    sign_in(client, ws.reviewer)
    url = f"/tickets/{ws.ticket.ticket_id}/code/comments/{root.id}/edit"
    client.post(url, data={"body": "second", "category": "performance", "severity": "low"})
    session.expire_all()
    stored = session.get(ReviewComment, root.id)
    assert (stored.body, stored.category, stored.severity) == ("second", "performance", "low")


def test_the_side_list_groups_every_comment_by_file_in_line_order(client, ws, session):
    for path, line in (("app/util.js", 2), ("app/main.py", 9), ("app/main.py", 5)):
        comments.add_comment(session, ws.ticket, ws.reviewer, path=path, line_start=line, body="b")
    session.commit()
    sign_in(client, ws.reviewer)
    html = _code(client, ws, "README.md").text
    jumps = re.findall(r'class="vt-jump[^"]*" data-path="([^"]+)" data-id="(\d+)"', html)
    assert [p for p, _ in jumps] == ["app/main.py", "app/main.py", "app/util.js"]
    assert [int(i) for _, i in jumps] == [3, 2, 1]
    assert "3 comments" in html


def test_a_huge_file_is_named_but_not_rendered(client, session, settings, tmp_path):
    big = "x = 1\n" * 25_000
    ws = make_workspace(session, settings, tmp_path, files={"big.py": big, "small.py": "y = 2\n"})
    sign_in(client, ws.reviewer)
    html = _code(client, ws, "big.py").text
    assert 'id="huge-note"' in html and "too large to display" in html
    assert 'id="L1"' not in html


def test_a_ticket_without_stored_code_says_so(client, session, settings, tmp_path):
    ws = make_workspace(session, settings, tmp_path)
    ws.ticket.archive_key = None
    session.commit()
    sign_in(client, ws.owner)
    assert "This ticket has no code to show." in _code(client, ws).text
