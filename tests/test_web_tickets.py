from intake.jobs import FETCH_FAILED, FETCH_FAILED_MESSAGE, process_submission
from models.outbox import Outbox
from models.tickets import SourceKind, TicketStatus
from tests.support.factories import make_ticket, make_user
from tests.support.intake import intake_settings_fixture, signed_in, submit_zip  # noqa: F401


def test_the_owner_sees_the_ticket_id_progress_and_scanner_note(
    client, session, intake_settings, tmp_path
):
    owner = signed_in(client, session)
    ticket = submit_zip(session, intake_settings, owner, {"a.py": "x = 1"}, tmp_path)
    process_submission(ticket.id)
    page = client.get(f"/tickets/{ticket.ticket_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert ticket.ticket_id in html
    assert "Finding a reviewer" in html
    assert "ClamAV was not used" in html
    assert "<script>" not in html and "onclick" not in html


def test_a_ticket_id_typed_loosely_redirects_to_the_canonical_page(
    client, session, intake_settings
):
    owner = signed_in(client, session)
    ticket = make_ticket(session, owner)
    session.commit()
    loose = ticket.ticket_id.lower().replace("-", "")
    response = client.get(f"/tickets/{loose}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/tickets/{ticket.ticket_id}")


def test_someone_elses_ticket_is_404(client, session):
    other = make_user(session, "other@example.com")
    ticket = make_ticket(session, other)
    session.commit()
    signed_in(client, session, "me@example.com")
    assert client.get(f"/tickets/{ticket.ticket_id}").status_code == 404
    assert client.get(f"/api/v1/tickets/{ticket.ticket_id}").status_code == 404


def test_an_admin_may_see_any_ticket(client, session):
    ticket = make_ticket(session, make_user(session, "other@example.com"))
    session.commit()
    signed_in(client, session, "admin@example.com", "admin")
    assert client.get(f"/api/v1/tickets/{ticket.ticket_id}").status_code == 200


def _fetch_failed_ticket(session, owner):
    ticket = make_ticket(
        session, owner, source=SourceKind.REPO_URL.value, repo_url="https://github.com/a/b"
    )
    ticket.error_code = FETCH_FAILED
    ticket.status_reason = FETCH_FAILED_MESSAGE
    session.commit()
    return ticket


def test_a_failed_fetch_shows_the_message_and_a_retry_button_that_works(client, session):
    owner = signed_in(client, session)
    ticket = _fetch_failed_ticket(session, owner)
    html = client.get(f"/tickets/{ticket.ticket_id}").get_data(as_text=True)
    assert FETCH_FAILED_MESSAGE in html and 'id="retry-button"' in html
    before = session.query(Outbox).filter_by(job="intake.jobs.process_submission").count()
    response = client.post(f"/tickets/{ticket.ticket_id}/retry")
    assert response.status_code == 303
    session.refresh(ticket)
    assert ticket.error_code is None
    after = session.query(Outbox).filter_by(job="intake.jobs.process_submission").count()
    assert after == before + 1


def test_the_api_reports_the_ticket_and_retries_it(client, session):
    owner = signed_in(client, session)
    ticket = _fetch_failed_ticket(session, owner)
    body = client.get(f"/api/v1/tickets/{ticket.ticket_id}").get_json()
    assert body["status"] == TicketStatus.SUBMITTED.value
    assert body["error_code"] == FETCH_FAILED and body["can_retry"] is True
    assert body["status_reason"] == FETCH_FAILED_MESSAGE
    from tests.support.intake import bearer

    headers = bearer(session, owner)
    response = client.post(f"/api/v1/tickets/{ticket.ticket_id}/retry", headers=headers)
    assert response.status_code == 202
    again = client.post(f"/api/v1/tickets/{ticket.ticket_id}/retry", headers=headers)
    assert again.status_code == 409
