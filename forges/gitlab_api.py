"""Calling GitLab: python-gitlab, with every request sent through Vetted's HTTP policy.

python-gitlab accepts a ``requests.Session``; ours hands each request to ``ForgeClient``, so
GitLab calls get the same retries, rate-limit handling and errors as GitHub calls.
"""

from __future__ import annotations

from typing import Any

import gitlab
import requests

from forges.http import ForgeClient
from settings import Settings

USER_AGENT = "Vetted-GitLab-Integration"


class ForgeSession(requests.Session):
    def __init__(self, client: ForgeClient):
        super().__init__()
        self._forge = client

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if kwargs.get("timeout") is None:
            kwargs.pop("timeout", None)
        return self._forge.request(method, url, **kwargs)


def gitlab_client(settings: Settings, token: str) -> gitlab.Gitlab:
    client = ForgeClient(
        settings.gitlab_url, token=token, auth_scheme="PRIVATE-TOKEN", user_agent=USER_AGENT
    )
    return gitlab.Gitlab(
        settings.gitlab_url,
        private_token=token,
        session=ForgeSession(client),
        user_agent=USER_AGENT,
        retry_transient_errors=False,  # ForgeClient retries; python-gitlab must not add its own
    )
