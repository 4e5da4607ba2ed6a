"""A small local server that answers like GitHub's REST API, for the bot's real client code.

Every request is checked against GitHub's OpenAPI description (method, path template, query,
JSON body); any departure is recorded in ``violations`` and answered 400, and the pytest
fixture fails the test on teardown if there were any.
"""

from __future__ import annotations

import base64
import itertools
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from werkzeug.wrappers import Request, Response

from tests.support.hostile import tar_gz_bytes
from tests.support.openapi_check import OpenAPIDescription
from tests.support.standin_server import StandInServer, json_response

NOT_COLLABORATOR = (
    "Reviews may only be requested from collaborators. One or more of the users or teams you "
    "specified is not a collaborator of the {repo} repository."
)


@dataclass
class Repo:
    full_name: str
    id: int
    default_branch: str = "main"
    files: dict[str, str] = field(default_factory=dict)
    collaborators: dict[str, str] = field(default_factory=dict)  # login -> permission
    pulls: dict[int, str] = field(default_factory=dict)  # number -> head sha


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class GitHubStandIn(StandInServer):
    def __init__(self, description: OpenAPIDescription, app_id: int = 4242):
        super().__init__()
        self.description = description
        self.app_id = app_id
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.private_key_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        ).decode()
        self._public_key = key.public_key()
        self.repos: dict[str, Repo] = {}
        self.installations: set[int] = set()
        self.tokens: dict[str, float] = {}  # token -> expiry (epoch)
        self.token_ttl = 3600
        self.may_invite = False
        self.comments: list[dict[str, Any]] = []
        self.check_runs: dict[int, dict[str, Any]] = {}
        self.review_requests: list[dict[str, Any]] = []
        self.invitations: list[dict[str, Any]] = []
        self.reviews: list[dict[str, Any]] = []
        self.manifest_codes: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(9000)

    # --- arranging -------------------------------------------------------------------------
    def add_repo(self, full_name: str, repo_id: int, **fields: Any) -> Repo:
        self.repos[full_name] = Repo(full_name, repo_id, **fields)
        return self.repos[full_name]

    def expire_tokens(self) -> None:
        """Every issued installation token stops working (answers 401), as after revocation."""
        self.tokens.clear()

    def remove_installation(self, installation_id: int) -> None:
        self.installations.discard(installation_id)
        self.expire_tokens()

    def comment_bodies(self, number: int | None = None) -> list[str]:
        return [c["body"] for c in self.comments if number is None or c["number"] == number]

    # --- serving ---------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        if request.path.startswith("/_codeload/"):
            return self._codeload(request.path)
        query = {k: request.args.getlist(k) for k in request.args}
        op, problems = self.description.check(
            request.method, request.path, query, request.get_data()
        )
        if problems or op is None:
            self.violations.extend(problems)
            return json_response(400, {"message": "; ".join(problems)})
        handler = ROUTES.get((op.method, op.template))
        if handler is None:
            self.violations.append(f"stand-in has no answer for {op.method} {op.template}")
            return json_response(501, {"message": "not implemented by the stand-in"})
        auth_problem = self._check_auth(request, op.template)
        if auth_problem is not None:
            return auth_problem
        return handler(self, request, **op.path_params)

    def _check_auth(self, request: Request, template: str) -> Response | None:
        header = request.headers.get("Authorization", "")
        if template.startswith("/app-manifests/"):
            return None
        if template.startswith("/app/"):
            try:
                scheme, token = header.split(" ", 1)
                claims = jwt.decode(token, self._public_key, algorithms=["RS256"])
            except (ValueError, jwt.PyJWTError) as exc:
                return json_response(
                    401, {"message": f"A JSON web token could not be decoded: {exc}"}
                )
            if scheme.lower() != "bearer" or str(claims.get("iss")) != str(self.app_id):
                return json_response(401, {"message": "Bad app credentials"})
            if claims["exp"] - claims["iat"] > 660 or claims["iat"] > time.time():
                self.violations.append(f"JWT lifetime or iat not allowed: {claims}")
                return json_response(401, {"message": "'Expiration time' claim is too far"})
            return None
        token = header.split(" ", 1)[-1] if " " in header else ""
        if self.tokens.get(token, 0) < time.time():
            return json_response(401, {"message": "Bad credentials"})
        return None

    def _repo(self, owner: str, repo: str) -> Repo | None:
        return self.repos.get(f"{owner}/{repo}")

    # --- operations ------------------------------------------------------------------------
    def access_token(self, request: Request, installation_id: str) -> Response:
        if int(installation_id) not in self.installations:
            return json_response(404, {"message": "Not Found"})
        token = "ghs_" + secrets.token_urlsafe(secrets.choice([30, 36, 48, 60]))
        self.tokens[token] = time.time() + self.token_ttl
        expires = datetime.now(UTC) + timedelta(seconds=self.token_ttl)
        return json_response(201, {"token": token, "expires_at": _iso(expires), "permissions": {}})

    def get_repo(self, request: Request, owner: str, repo: str) -> Response:
        found = self._repo(owner, repo)
        if found is None:
            return json_response(404, {"message": "Not Found"})
        return json_response(
            200,
            {"id": found.id, "full_name": found.full_name, "default_branch": found.default_branch},
        )

    def get_contents(self, request: Request, owner: str, repo: str, path: str) -> Response:
        found = self._repo(owner, repo)
        if found is None or path not in found.files:
            return json_response(404, {"message": "Not Found"})
        content = base64.b64encode(found.files[path].encode()).decode()
        return json_response(
            200,
            {
                "type": "file",
                "encoding": "base64",
                "path": path,
                "name": path.rsplit("/", 1)[-1],
                "content": content,
                "sha": "0" * 40,
                "size": len(found.files[path]),
            },
        )

    def permission(self, request: Request, owner: str, repo: str, username: str) -> Response:
        found = self._repo(owner, repo)
        if found is None:
            return json_response(404, {"message": "Not Found"})
        level = found.collaborators.get(username, "none")
        return json_response(
            200, {"permission": level, "role_name": level, "user": {"login": username}}
        )

    def get_pull(self, request: Request, owner: str, repo: str, pull_number: str) -> Response:
        found = self._repo(owner, repo)
        if found is None or int(pull_number) not in found.pulls:
            return json_response(404, {"message": "Not Found"})
        sha = found.pulls[int(pull_number)]
        return json_response(
            200, {"number": int(pull_number), "state": "open", "head": {"sha": sha}}
        )

    def get_commit(self, request: Request, owner: str, repo: str, ref: str) -> Response:
        found = self._repo(owner, repo)
        if found is None:
            return json_response(404, {"message": "Not Found"})
        known = set(found.pulls.values())
        sha = ref if ref in known or len(ref) == 40 else found.pulls.get(0, "0" * 40)
        return json_response(200, {"sha": sha})

    def add_comment(self, request: Request, owner: str, repo: str, issue_number: str) -> Response:
        comment = {
            "id": next(self._ids),
            "repo": f"{owner}/{repo}",
            "number": int(issue_number),
            "body": request.get_json()["body"],
            "user": {"login": "vetted[bot]", "type": "Bot"},
        }
        self.comments.append(comment)
        return json_response(201, comment)

    def create_check_run(self, request: Request, owner: str, repo: str) -> Response:
        run_id = next(self._ids)
        self.check_runs[run_id] = {"id": run_id, "repo": f"{owner}/{repo}", **request.get_json()}
        return json_response(201, self.check_runs[run_id])

    def update_check_run(
        self, request: Request, owner: str, repo: str, check_run_id: str
    ) -> Response:
        run = self.check_runs.get(int(check_run_id))
        if run is None:
            return json_response(404, {"message": "Not Found"})
        run.update(request.get_json())
        return json_response(200, run)

    def request_reviewers(
        self, request: Request, owner: str, repo: str, pull_number: str
    ) -> Response:
        found = self._repo(owner, repo)
        body = request.get_json()
        logins = body.get("reviewers", [])
        if found is None or any(login not in found.collaborators for login in logins):
            message = NOT_COLLABORATOR.format(repo=f"{owner}/{repo}")
            return json_response(422, {"message": message})
        self.review_requests.append({"number": int(pull_number), "reviewers": logins})
        return json_response(201, {"number": int(pull_number), "requested_reviewers": logins})

    def invite(self, request: Request, owner: str, repo: str, username: str) -> Response:
        if not self.may_invite:
            return json_response(403, {"message": "Resource not accessible by integration"})
        body = request.get_json(silent=True) or {}
        self.invitations.append({"login": username, "permission": body.get("permission")})
        self.repos[f"{owner}/{repo}"].collaborators[username] = "read"  # accepted at once
        return json_response(201, {"id": next(self._ids), "invitee": {"login": username}})

    def create_review(self, request: Request, owner: str, repo: str, pull_number: str) -> Response:
        review = {"id": next(self._ids), "number": int(pull_number), **request.get_json()}
        self.reviews.append(review)
        return json_response(200, {"id": review["id"], "state": "COMMENTED"})

    def tarball(self, request: Request, owner: str, repo: str, ref: str) -> Response:
        if self._repo(owner, repo) is None:
            return json_response(404, {"message": "Not Found"})
        return Response(
            status=302, headers={"Location": f"{self.url}/_codeload/{owner}/{repo}/{ref}"}
        )

    def _codeload(self, path: str) -> Response:
        _, _, owner, repo, ref = path.split("/", 4)
        found = self._repo(owner, repo)
        if found is None:
            return Response("Not Found", status=404)
        top = f"{owner}-{repo}-{ref[:7]}"
        files = {f"{top}/{name}": text.encode() for name, text in found.files.items()}
        return Response(tar_gz_bytes(files), mimetype="application/x-gzip")

    def manifest_conversion(self, request: Request, code: str) -> Response:
        found = self.manifest_codes.pop(code, None)
        if found is None:
            return json_response(404, {"message": "Not Found"})
        return json_response(201, found)


ROUTES = {
    ("POST", "/app/installations/{installation_id}/access_tokens"): GitHubStandIn.access_token,
    ("GET", "/repos/{owner}/{repo}"): GitHubStandIn.get_repo,
    ("GET", "/repos/{owner}/{repo}/contents/{path}"): GitHubStandIn.get_contents,
    ("GET", "/repos/{owner}/{repo}/collaborators/{username}/permission"): GitHubStandIn.permission,
    ("PUT", "/repos/{owner}/{repo}/collaborators/{username}"): GitHubStandIn.invite,
    ("GET", "/repos/{owner}/{repo}/pulls/{pull_number}"): GitHubStandIn.get_pull,
    ("GET", "/repos/{owner}/{repo}/commits/{ref}"): GitHubStandIn.get_commit,
    ("POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments"): GitHubStandIn.add_comment,
    ("POST", "/repos/{owner}/{repo}/check-runs"): GitHubStandIn.create_check_run,
    ("PATCH", "/repos/{owner}/{repo}/check-runs/{check_run_id}"): GitHubStandIn.update_check_run,
    (
        "POST",
        "/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers",
    ): GitHubStandIn.request_reviewers,
    ("POST", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews"): GitHubStandIn.create_review,
    ("GET", "/repos/{owner}/{repo}/tarball/{ref}"): GitHubStandIn.tarball,
    ("POST", "/app-manifests/{code}/conversions"): GitHubStandIn.manifest_conversion,
}
