"""``gitlab connect``: a project's own hook token, accepted by the GitLab receiver."""

from __future__ import annotations

import json
import re

from models.forges import Installation
from tests.support.forge_payloads import gitlab_headers, gitlab_payload


def test_connecting_a_project_prints_a_token_the_receiver_then_requires(app, client, session):
    payload = gitlab_payload("merge_request.json")
    project_id = payload["project"]["id"]
    result = app.test_cli_runner().invoke(
        args=["gitlab", "connect", str(project_id), "--access-token", "glpat-x"]
    )
    assert result.exit_code == 0, result.output
    token = re.search(r"Secret token: (\S+)", result.output).group(1)
    row = session.query(Installation).one()
    assert (row.forge, row.external_id, row.account_type) == ("gitlab", project_id, "project")
    assert row.webhook_token == token and row.access_token == "glpat-x"
    body = json.dumps(payload).encode()
    ok = client.post(
        "/webhooks/gitlab", data=body, headers=gitlab_headers("Merge Request Hook", token=token)
    )
    assert ok.status_code == 202
    wrong = gitlab_headers("Merge Request Hook", token="guess")
    assert client.post("/webhooks/gitlab", data=body, headers=wrong).status_code == 401
