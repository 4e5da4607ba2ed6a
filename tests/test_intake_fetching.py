import pytest

from forges.errors import RateLimited
from intake import code
from intake.fetching import fetch_repository
from intake.jobs import (
    FETCH_FAILED,
    FETCH_FAILED_MESSAGE,
    FetchFailed,
    FetchRefused,
    process_submission,
)
from intake.repos import NOT_FOUND
from jobs.errors import RetryLater
from models.tickets import SourceKind, TicketStatus
from tests.support.factories import make_ticket, make_user
from tests.support.intake import intake_settings_fixture  # noqa: F401
from tests.support.intake_forges import SHA, fake_forge_fixture  # noqa: F401


@pytest.fixture
def forge_settings(intake_settings, fake_forge):
    from settings import activate

    settings = intake_settings.with_overrides(
        github_api_url=fake_forge.url,
        gitlab_url=fake_forge.url,
        forge_timeout_seconds=1.0,
        forge_max_attempts=3,
    )
    activate(settings)
    return settings


@pytest.mark.parametrize(("forge", "name"), [("github", "octo/hello"), ("gitlab", "group/hello")])
def test_an_existing_repository_is_downloaded_at_the_resolved_commit(
    forge_settings, fake_forge, tmp_path, forge, name
):
    fetched = fetch_repository(forge_settings, forge, name, None, tmp_path / "a.tgz")
    assert fetched.commit == SHA
    assert fetched.path.read_bytes() == fake_forge.archive


def test_github_tarball_redirect_is_followed(forge_settings, fake_forge, tmp_path):
    fetch_repository(forge_settings, "github", "octo/hello", "main", tmp_path / "a.tgz")
    paths = [path for _method, path, _headers in fake_forge.requests]
    assert f"/repos/octo/hello/tarball/{SHA}" in paths
    assert any(p.startswith("/archives/hello/") for p in paths)


@pytest.mark.parametrize("forge", ["github", "gitlab"])
def test_missing_and_private_repositories_are_refused_as_not_found(forge_settings, tmp_path, forge):
    for name in ("missing", "private"):
        with pytest.raises(FetchRefused) as caught:
            fetch_repository(forge_settings, forge, f"group/{name}", None, tmp_path / "a")
        assert caught.value.message == "Repository not found or not accessible"


def test_a_private_repository_is_fetched_with_a_token(forge_settings, tmp_path):
    fetched = fetch_repository(
        forge_settings, "github", "octo/private", None, tmp_path / "a", token="t0ken"
    )
    assert fetched.commit == SHA


def test_server_errors_are_retried_until_they_pass(forge_settings, fake_forge, tmp_path):
    fetched = fetch_repository(forge_settings, "github", "octo/flaky", None, tmp_path / "a")
    assert fetched.commit == SHA
    assert fake_forge.calls["flaky"] >= 3


def test_a_short_rate_limit_with_retry_after_is_waited_out(forge_settings, fake_forge, tmp_path):
    fetched = fetch_repository(forge_settings, "gitlab", "group/limited", None, tmp_path / "a")
    assert fetched.commit == SHA and fake_forge.calls["limited"] >= 2


def test_a_long_rate_limit_is_raised_for_the_job_to_wait(forge_settings, tmp_path):
    with pytest.raises(RateLimited):
        fetch_repository(forge_settings, "github", "octo/throttled", None, tmp_path / "a")


def test_timeouts_are_retried_then_reported_as_fetch_failed(forge_settings, fake_forge, tmp_path):
    with pytest.raises(FetchFailed):
        fetch_repository(forge_settings, "github", "octo/slow", None, tmp_path / "a")
    assert fake_forge.calls["slow"] == 3


def test_an_archive_over_the_limit_is_refused_while_streaming(forge_settings, tmp_path):
    small = forge_settings.with_overrides(max_upload_bytes=1024 * 1024)
    with pytest.raises(FetchRefused) as caught:
        fetch_repository(small, "github", "octo/huge", None, tmp_path / "a")
    assert caught.value.message == "File size exceeds limit"
    assert not (tmp_path / "a").exists()


def _repo_ticket(session, name, forge="github", ref=None):
    ticket = make_ticket(
        session,
        make_user(session),
        source=SourceKind.REPO_URL.value,
        forge=forge,
        repo_full_name=name,
        repo_url=f"https://github.com/{name}",
        repo_ref=ref,
    )
    session.commit()
    return ticket


def test_a_repository_ticket_goes_through_the_whole_pipeline(forge_settings, session):
    ticket = _repo_ticket(session, "octo/hello", ref="v1.0")
    process_submission(ticket.id)
    session.refresh(ticket)
    assert ticket.status == TicketStatus.MATCHING.value
    assert ticket.head_sha == SHA
    assert ticket.frameworks == ["flask"]
    assert "hello/app.py" in [f.path for f in code.list_files(ticket)]


def test_a_forge_that_stays_down_sends_the_ticket_back_with_a_retry(forge_settings, session):
    from settings import activate

    activate(forge_settings.with_overrides(fetch_patience_seconds=0))
    ticket = _repo_ticket(session, "octo/slow")
    process_submission(ticket.id)
    session.refresh(ticket)
    assert ticket.status == TicketStatus.SUBMITTED.value
    assert ticket.error_code == FETCH_FAILED
    assert ticket.status_reason == FETCH_FAILED_MESSAGE


def test_a_missing_repository_rejects_the_ticket(forge_settings, session):
    ticket = _repo_ticket(session, "octo/missing")
    process_submission(ticket.id)
    session.refresh(ticket)
    assert ticket.status == TicketStatus.REJECTED.value
    assert ticket.status_reason == NOT_FOUND


def test_a_long_rate_limit_keeps_the_ticket_waiting_in_scanning(forge_settings, session):
    ticket = _repo_ticket(session, "octo/throttled")
    with pytest.raises(RetryLater):
        process_submission(ticket.id)
    session.refresh(ticket)
    assert ticket.status == TicketStatus.SCANNING.value
    assert "slow down" in ticket.status_reason


def test_a_gitlab_merge_request_is_fetched_at_its_head_by_project_id(forge_settings, session):
    ticket = make_ticket(
        session,
        make_user(session),
        source=SourceKind.GITLAB_MR.value,
        forge="gitlab",
        repo_full_name="group/hello",
        forge_project_id=42,
        pr_number=7,
        head_sha=SHA,
    )
    session.commit()
    process_submission(ticket.id)
    session.refresh(ticket)
    assert ticket.status == TicketStatus.MATCHING.value
    assert "hello/app.py" in [f.path for f in code.list_files(ticket)]


def test_a_short_forge_outage_is_waited_out_without_asking_the_developer(
    forge_settings, fake_forge, session
):
    from jobs.errors import RetryLater
    from settings import activate

    activate(forge_settings.with_overrides(fetch_patience_seconds=300))
    ticket = _repo_ticket(session, "octo/hello")
    fake_forge.outage(60)
    with pytest.raises(RetryLater):
        process_submission(ticket.id)
    session.refresh(ticket)
    assert ticket.status == TicketStatus.SCANNING.value and ticket.error_code is None
    assert "trying again shortly" in ticket.status_reason
    fake_forge.outage(0)
    process_submission(ticket.id)
    session.refresh(ticket)
    assert ticket.status == TicketStatus.MATCHING.value
