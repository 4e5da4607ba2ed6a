"""reviews.comments: who may comment, on what, and how threads behave."""

import pytest
from sqlalchemy import text

from models.audit import AuditEvent
from models.reviews import ReviewComment
from reviews import comments
from reviews.comments import CommentError, CommentNotFound
from reviews.state import transition
from tests.support.factories import make_user
from tests.support.workspace import make_workspace


@pytest.fixture
def ws(session, settings, tmp_path):
    return make_workspace(session, settings, tmp_path)


def _add(session, ws, **fields):
    values = {"path": "app/main.py", "line_start": 5, "body": "SQL injection", **fields}
    author = values.pop("author", ws.reviewer)
    return comments.add_comment(session, ws.ticket, author, **values)


def test_the_assigned_reviewer_comments_on_a_range_with_category_severity_and_suggestion(
    session, ws
):
    comment = _add(
        session, ws, line_end=6, category="security", severity="high", suggestion="safe()"
    )
    session.commit()
    stored = session.get(ReviewComment, comment.id)
    assert (stored.line_start, stored.line_end) == (5, 6)
    assert (stored.category, stored.severity, stored.suggestion) == ("security", "high", "safe()")
    assert stored.author_label == "Reva Viewer"
    assert session.query(AuditEvent).filter_by(action="comment.added").count() == 1


def test_comments_are_found_by_file_without_decrypting_paths(session, ws):
    _add(session, ws)
    _add(session, ws, path="app/util.js", line_start=2)
    session.commit()
    threads = comments.threads_for_file(session, ws.ticket, "app/util.js")
    assert [t.root.file_path for t in threads] == ["app/util.js"]


def test_paths_and_bodies_are_encrypted_at_rest(session, ws):
    _add(session, ws, body="very secret remark")
    session.commit()
    raw = session.execute(text("SELECT body, file_path FROM review_comments")).one()
    assert b"very secret remark" not in bytes(raw[0]) and b"app/main.py" not in bytes(raw[1])


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"body": "   "}, "Please write a comment."),
        ({"category": "style"}, "Unknown category 'style'"),
        ({"severity": "apocalyptic"}, "Unknown severity"),
        ({"line_start": 0}, "not a valid range"),
        ({"line_start": 6, "line_end": 5}, "not a valid range"),
        ({"line_start": 500}, "The file has only 13 lines."),
        ({"path": "nope.py"}, "There is no file 'nope.py'"),
        ({"path": "assets/logo.bin", "line_start": 1}, "Binary files cannot carry"),
    ],
)
def test_invalid_comments_are_refused_with_a_specific_message_and_store_nothing(
    session, ws, fields, message
):
    with pytest.raises(CommentError, match=message):
        _add(session, ws, **fields)
    session.rollback()
    assert session.query(ReviewComment).count() == 0


def test_the_developer_cannot_open_threads_but_can_reply(session, ws):
    with pytest.raises(CommentError, match="Only the assigned reviewer"):
        _add(session, ws, author=ws.owner)
    root = _add(session, ws)
    reply = comments.reply(session, ws.ticket, ws.owner, root.id, "Fixed in the next commit")
    assert reply.parent_id == root.id


def test_a_reply_to_a_reply_joins_the_same_thread(session, ws):
    root = _add(session, ws)
    first = comments.reply(session, ws.ticket, ws.owner, root.id, "why?")
    second = comments.reply(session, ws.ticket, ws.reviewer, first.id, "because")
    session.commit()
    [thread] = comments.threads_for_ticket(session, ws.ticket)
    assert second.parent_id == root.id
    assert [r.body for r in thread.replies] == ["why?", "because"]


def test_strangers_cannot_see_or_reply_to_comments(session, ws):
    root = _add(session, ws)
    stranger = make_user(session, "eve@example.com")
    with pytest.raises(CommentNotFound):
        comments.reply(session, ws.ticket, stranger, root.id, "hi")
    with pytest.raises(CommentNotFound):
        comments.get_comment(session, ws.ticket, None, root.id)


def test_a_comment_of_another_ticket_is_not_found(session, settings, tmp_path, ws):
    other = make_workspace(
        session,
        settings,
        tmp_path,
        owner_email="o2@example.com",
        reviewer_email="r2@example.com",
        handle="r2",
    )
    theirs = comments.add_comment(
        session, other.ticket, other.reviewer, path="README.md", line_start=1, body="x"
    )
    with pytest.raises(CommentNotFound):
        comments.get_comment(session, ws.ticket, ws.reviewer, theirs.id)


def test_only_the_author_edits_and_edits_change_body_suggestion_and_labels(session, ws):
    root = _add(session, ws, suggestion="old")
    with pytest.raises(CommentError, match="only edit your own"):
        comments.edit_comment(session, ws.ticket, ws.owner, root.id, body="hijack")
    comments.edit_comment(
        session,
        ws.ticket,
        ws.reviewer,
        root.id,
        body="better",
        suggestion="",
        category="performance",
        severity="low",
    )
    assert (root.body, root.suggestion, root.category, root.severity) == (
        "better",
        None,
        "performance",
        "low",
    )


def test_threads_are_resolved_and_reopened_by_developer_or_reviewer(session, ws):
    root = _add(session, ws)
    comments.set_resolved(session, ws.ticket, ws.owner, root.id, True)
    assert root.resolved
    comments.set_resolved(session, ws.ticket, ws.reviewer, root.id, False)
    assert not root.resolved
    actions = {e.action for e in session.query(AuditEvent)}
    assert {"comment.resolved", "comment.reopened"} <= actions


def test_replies_cannot_be_resolved_on_their_own(session, ws):
    root = _add(session, ws)
    reply = comments.reply(session, ws.ticket, ws.owner, root.id, "ok")
    with pytest.raises(CommentError, match="Resolve the thread"):
        comments.set_resolved(session, ws.ticket, ws.owner, reply.id, True)


def test_no_new_threads_after_completion_but_replies_continue(session, ws):
    root = _add(session, ws)
    transition(session, ws.ticket, "completed")
    with pytest.raises(CommentError):
        _add(session, ws)
    assert comments.reply(session, ws.ticket, ws.owner, root.id, "thanks").id
