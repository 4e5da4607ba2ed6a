"""models.rotation: every encrypted value can be moved to the newest key, then old keys dropped."""

from sqlalchemy import text

from models.crypto import Keyring, configure_keyring, generate_key
from models.forges import WebhookDelivery
from models.reviews import ReviewComment
from models.rotation import encrypted_columns, rotate_columns
from models.tickets import Submission
from tests.conftest import TEST_KEYS
from tests.support.factories import make_ticket, make_user


def key_ids(session, sql: str) -> set[str]:
    return {Keyring.key_id_of(bytes(v)) for (v,) in session.execute(text(sql)) if v is not None}


def test_rotation_reseals_every_row_and_the_old_key_can_then_be_dropped(session):
    user = make_user(session)
    for n in range(3):
        ticket = make_ticket(session, user, description=f"description {n}")
        session.add(ReviewComment(submission_id=ticket.id, body=f"comment {n}", file_path="a.py"))
    session.commit()
    assert key_ids(session, "SELECT description FROM submissions") == {"t1"}

    new_key = f"t2:{generate_key()}"
    rotated = Keyring.from_setting(f"{new_key},{TEST_KEYS}")
    configure_keyring(rotated)
    changed = rotate_columns(session, rotated)
    session.commit()
    assert changed["submissions.description"] == 3
    assert changed["review_comments.body"] == 3
    assert key_ids(session, "SELECT description FROM submissions") == {"t2"}
    assert key_ids(session, "SELECT body FROM review_comments") == {"t2"}

    configure_keyring(Keyring.from_setting(new_key))
    session.expire_all()
    assert sorted(t.description for t in session.query(Submission)) == [
        "description 0",
        "description 1",
        "description 2",
    ]
    assert rotate_columns(session, Keyring.from_setting(new_key))["review_comments.body"] == 0


def test_every_code_or_comment_bearing_column_is_encrypted():
    columns = {f"{table.name}.{column.name}" for table, column, _ in encrypted_columns()}
    assert {
        "submissions.description",
        "review_comments.body",
        "review_comments.suggestion",
        "review_comments.file_path",
        "feedback.security",
        "feedback.performance",
        "feedback.best_practices",
        "feedback.overall",
        "ratings.comment",
        "attachments.filename",
        "webhook_deliveries.payload",
    } <= columns


def test_rotation_keeps_a_compressed_webhook_payload_compressed(session):
    payload = '{"action": "opened", "number": 1}' + " " * 8000
    session.add(
        WebhookDelivery(forge="github", delivery_id="rot-1", event="pull_request", payload=payload)
    )
    session.commit()
    rotated = Keyring.from_setting(f"t2:{generate_key()},{TEST_KEYS}")
    configure_keyring(rotated)
    assert rotate_columns(session, rotated)["webhook_deliveries.payload"] == 1
    session.commit()
    [raw] = session.execute(text("SELECT payload FROM webhook_deliveries")).scalars()
    assert Keyring.key_id_of(bytes(raw)) == "t2" and Keyring.is_compressed(bytes(raw))
    session.expire_all()
    assert session.query(WebhookDelivery).one().payload == payload
