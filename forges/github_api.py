"""Calling GitHub's REST API as an installation: gidgethub over Vetted's HTTP policy.

gidgethub builds the requests (URL templates, headers, JSON) and ``ForgeClient`` sends them,
so retries, rate-limit waits and error mapping are the same as for every other forge call.
A 401 drops the cached installation token and the call is made once more with a fresh one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import gidgethub.abc

from forges.errors import Unauthorized
from forges.github_app import USER_AGENT, AppCredentials, forget_token, installation_token
from forges.http import ForgeClient
from settings import Settings


class _ForgeGitHubAPI(gidgethub.abc.GitHubAPI):
    """gidgethub's API surface; ``_request`` goes through ``ForgeClient`` (synchronously)."""

    def __init__(self, client: ForgeClient, oauth_token: str):
        super().__init__(USER_AGENT, oauth_token=oauth_token, base_url=client.base_url)
        self._client = client

    async def _request(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes = b""
    ) -> tuple[int, Mapping[str, str], bytes]:
        response = self._client.request(method, url, headers=dict(headers), data=body or None)
        return response.status_code, response.headers, response.content

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class GitHub:
    """A synchronous handle on one installation's API (jobs are synchronous)."""

    def __init__(self, settings: Settings, credentials: AppCredentials, installation_id: int):
        self.settings = settings
        self.credentials = credentials
        self.installation_id = int(installation_id)

    def _api(self, refresh: bool = False) -> _ForgeGitHubAPI:
        token = installation_token(
            self.settings, self.credentials, self.installation_id, refresh=refresh
        )
        client = ForgeClient(
            self.settings.github_api_url, auth_scheme="none", user_agent=USER_AGENT
        )
        return _ForgeGitHubAPI(client, token)

    def _call(self, method: str, url: str, **kwargs: Any) -> Any:
        try:
            return asyncio.run(getattr(self._api(), method)(url, **kwargs))
        except Unauthorized:
            forget_token(self.settings, self.installation_id)
            return asyncio.run(getattr(self._api(refresh=True), method)(url, **kwargs))

    def get(self, url: str, url_vars: dict[str, str] | None = None) -> Any:
        return self._call("getitem", url, url_vars=url_vars or {})

    def post(self, url: str, data: Any, url_vars: dict[str, str] | None = None) -> Any:
        return self._call("post", url, url_vars=url_vars or {}, data=data)

    def patch(self, url: str, data: Any, url_vars: dict[str, str] | None = None) -> Any:
        return self._call("patch", url, url_vars=url_vars or {}, data=data)

    def put(self, url: str, data: Any, url_vars: dict[str, str] | None = None) -> Any:
        return self._call("put", url, url_vars=url_vars or {}, data=data)
