"""The GitHub stand-in's OpenAPI check catches requests GitHub would refuse."""

from __future__ import annotations

import requests

from tests.support.forge_payloads import fixtures_dir
from tests.support.github_standin import GitHubStandIn
from tests.support.openapi_check import github_description


def _description():
    return github_description(str(fixtures_dir() / "github-openapi" / "api.github.com.json"))


def test_valid_requests_pass_and_resolve_to_their_templates():
    op, problems = _description().check(
        "POST", "/repos/o/r/check-runs", {}, b'{"name": "Vetted audit", "head_sha": "abc"}'
    )
    assert problems == [] and op.template == "/repos/{owner}/{repo}/check-runs"
    op, problems = _description().check(
        "GET", "/repos/o/r/contents/.github/vetted.yml", {"ref": ["main"]}, None
    )
    assert problems == [] and op.path_params["path"] == ".github/vetted.yml"


def test_wrong_paths_methods_queries_and_bodies_are_reported():
    check = _description().check
    assert "no such operation" in check("GET", "/repos/o/r/nonsense/1", {}, None)[1][0]
    assert "no such operation" in check("DELETE", "/app-manifests/x/conversions", {}, None)[1][0]
    assert (
        "unknown query parameter 'colour'"
        in check("GET", "/repos/o/r", {"colour": ["x"]}, None)[1][0]
    )
    problems = check("POST", "/repos/o/r/check-runs", {}, b'{"name": "x", "status": "done"}')[1]
    assert any("head_sha" in p for p in problems) and any("done" in p for p in problems)
    problems = check("POST", "/repos/o/r/pulls/x/reviews", {}, b'{"event": "COMMENT"}')[1]
    assert any("pull_number must be an integer" in p for p in problems)


def test_the_standin_answers_400_and_records_a_violation_for_a_bad_request():
    standin = GitHubStandIn(_description()).start()
    try:
        response = requests.post(
            f"{standin.url}/repos/o/r/check-runs", json={"name": "x", "status": "done"}, timeout=5
        )
        assert response.status_code == 400
        assert standin.violations and "head_sha" in " ".join(standin.violations)
    finally:
        standin.stop()
