import pytest

from intake.repos import NOT_FOUND, UNSUPPORTED, RepoUrlError, parse_repo_url
from settings import Settings

S = Settings(gitlab_url="https://git.example.com")


@pytest.mark.parametrize(
    ("url", "forge", "name", "ref"),
    [
        ("https://github.com/octo/hello", "github", "octo/hello", None),
        ("https://github.com/octo/hello.git", "github", "octo/hello", None),
        ("github.com/octo/hello/tree/feature/x", "github", "octo/hello", "feature/x"),
        ("https://github.com/octo/hello/tree/3f786850e387", "github", "octo/hello", "3f786850e387"),
        ("https://gitlab.com/group/sub/project", "gitlab", "group/sub/project", None),
        ("https://gitlab.com/group/project/-/tree/v1.0", "gitlab", "group/project", "v1.0"),
        ("https://git.example.com/team/app", "gitlab", "team/app", None),
    ],
)
def test_github_and_gitlab_urls_are_understood(url, forge, name, ref):
    repo = parse_repo_url(S, url)
    assert (repo.forge, repo.full_name, repo.ref) == (forge, name, ref)


@pytest.mark.parametrize(
    "url",
    [
        "https://bitbucket.org/a/b",
        "https://github.com.evil.com/a/b",
        "ftp://github.com/a/b",
        "https://user:pw@github.com/a/b",
        "https://git.other.com/a/b",
        "",
    ],
)
def test_other_urls_are_refused_with_the_exact_message(url):
    with pytest.raises(RepoUrlError) as caught:
        parse_repo_url(S, url)
    assert caught.value.message == UNSUPPORTED


@pytest.mark.parametrize(
    "url",
    ["https://github.com/octo", "https://github.com/octo/x/blob/main/a.py", "https://gitlab.com/a"],
)
def test_incomplete_urls_explain_what_is_expected(url):
    with pytest.raises(RepoUrlError) as caught:
        parse_repo_url(S, url)
    assert "URL" in caught.value.message


def test_refs_cannot_climb_out():
    with pytest.raises(RepoUrlError):
        parse_repo_url(S, "https://github.com/a/b/tree/../../x")


def test_the_not_found_message_is_the_documented_one():
    assert NOT_FOUND == "Repository not found or not accessible"
