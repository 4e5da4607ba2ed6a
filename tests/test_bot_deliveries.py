"""Every real payload, delivered and processed: nothing crashes, nothing is processed twice."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from models.forges import Installation, WebhookDelivery
from models.outbox import Outbox
from tests.support.forge_flow import forge_only_pipeline, run_jobs  # noqa: F401
from tests.support.forge_payloads import (
    GITHUB_SECRET,
    GITLAB_TOKEN,
    github_files,
    github_headers,
    gitlab_files,
    gitlab_headers,
)
from tests.support.forge_standins import GITLAB_API_TOKEN, github_standin, gitlab_standin  # noqa: F401
from webhooks.github import HANDLED_EVENTS as GITHUB_EVENTS
from webhooks.gitlab import HANDLED_EVENTS as GITLAB_EVENTS

pytestmark = pytest.mark.usefixtures("forge_only_pipeline")


@pytest.fixture
def app_config(app_config, github_standin, gitlab_standin):  # noqa: F811
    github_standin.installations.update({1, 2, 957387})
    gitlab_standin.add_project(1, "gitlabhq/gitlab-test", members={1: 40})
    for name, repo_id in (("Codertocat/Hello-World", 186853002), ("Octocoders/Hello-World", 1)):
        github_standin.add_repo(
            name, repo_id, collaborators={"Codertocat": "admin"}, pulls={2: "a" * 40}
        )
    app_config.update(
        github_api_url=github_standin.url,
        github_app_id=str(github_standin.app_id),
        github_private_key=github_standin.private_key_pem,
        github_webhook_secret=GITHUB_SECRET,
        gitlab_url=gitlab_standin.url,
        gitlab_token=GITLAB_API_TOKEN,
        gitlab_webhook_token=GITLAB_TOKEN,
    )
    return app_config


def test_every_fixture_delivery_is_processed_once_without_errors(client, session, settings):
    sent = 0
    for event, path in github_files():
        if event in GITHUB_EVENTS:
            body = path.read_bytes()
            assert (
                client.post(
                    "/webhooks/github", data=body, headers=github_headers(event, body)
                ).status_code
                == 202
            )
            sent += 1
    for event, path in gitlab_files():
        if event in GITLAB_EVENTS:
            response = client.post(
                "/webhooks/gitlab", data=path.read_bytes(), headers=gitlab_headers(event)
            )
            assert response.status_code == 202
            sent += 1
    run_jobs(settings)
    run_jobs(settings)  # a second pass finds nothing left to do
    session.expire_all()
    rows = session.scalars(select(WebhookDelivery)).all()
    assert len(rows) == sent
    outcomes = {
        (r.event, r.status, r.error) for r in rows if r.status not in ("processed", "ignored")
    }
    assert outcomes == set()
    failed = session.scalars(
        select(Outbox).where(Outbox.job.like("bot.%"), Outbox.status != "done")
    ).all()
    assert [(o.job, o.last_error) for o in failed] == []
    installation = session.scalar(
        select(Installation).where(
            Installation.forge == "github", Installation.external_id == 957387
        )
    )
    assert installation is not None and installation.account_login


def _send(client, settings, relative: str, **installation) -> None:
    path = next(p for e, p in github_files() if str(p).endswith(relative))
    payload = json.loads(path.read_text())
    payload["installation"].update(installation)
    body = json.dumps(payload).encode()
    headers = github_headers(path.parent.name, body)
    assert client.post("/webhooks/github", data=body, headers=headers).status_code == 202
    run_jobs(settings)


def test_installation_events_keep_the_installation_row_current(client, session, settings):
    _send(client, settings, "installation/created.payload.json")
    session.expire_all()
    row = session.scalar(select(Installation))
    assert (row.external_id, row.account_login) == (957387, "Codertocat")
    assert {r["full_name"] for r in row.repositories} == {"Codertocat/Hello-World"}
    # the published suspend/delete examples belong to other installations: aim them at this one
    _send(client, settings, "installation/suspend.payload.json", id=957387)
    session.expire_all()
    assert session.scalar(select(Installation.suspended_at)) is not None
    _send(client, settings, "installation/unsuspend.payload.json", id=957387)
    _send(client, settings, "installation_repositories/removed.payload.json", id=957387)
    _send(client, settings, "installation/deleted.payload.json", id=957387)
    session.expire_all()
    row = session.scalar(select(Installation))
    assert row.suspended_at is None and row.removed_at is not None
