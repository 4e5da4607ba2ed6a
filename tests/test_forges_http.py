"""forges.http: retries what retrying can fix, waits when asked, never loops on other 4xx."""

import time

import pytest

from forges.errors import (
    ForgeError,
    ForgeUnavailable,
    NotFound,
    RateLimited,
    TooLarge,
    Unauthorized,
)
from forges.http import ForgeClient, rate_limit_wait
from tests.support.httpstub import Canned, StubServer


@pytest.fixture
def stub():
    with StubServer() as server:
        yield server


def client(stub, **kwargs) -> ForgeClient:
    options = {"backoff_base": 0.01, "backoff_max": 0.05, "timeout": (1, 1), **kwargs}
    return ForgeClient(stub.url, token="t0ken", **options)


def test_a_5xx_then_success_is_retried_and_succeeds(stub):
    stub.script("GET", "/repos/a/b", Canned(502), Canned(500), Canned(200, {"id": 1}))
    assert client(stub).get_json("/repos/a/b") == {"id": 1}
    assert stub.hits("GET", "/repos/a/b") == 3


def test_persistent_5xx_ends_in_forge_unavailable_after_the_attempts(stub):
    stub.script("GET", "/x", Canned(503))
    with pytest.raises(ForgeUnavailable):
        client(stub, max_attempts=4).get_json("/x")
    assert stub.hits("GET", "/x") == 4


def test_a_timeout_is_retried(stub):
    stub.script("GET", "/slow", Canned(200, {"ok": 1}, delay=1.5), Canned(200, {"ok": 2}))
    assert client(stub).get_json("/slow") == {"ok": 2}


@pytest.mark.parametrize(
    "status, error", [(404, NotFound), (401, Unauthorized), (422, ForgeError), (403, ForgeError)]
)
def test_other_4xx_are_never_retried(stub, status, error):
    stub.script("GET", "/nope", Canned(status, {"message": "Bad things"}))
    with pytest.raises(error) as raised:
        client(stub).get_json("/nope")
    assert raised.value.message == "Bad things"
    assert stub.hits("GET", "/nope") == 1


def test_a_short_retry_after_is_waited_out(stub):
    stub.script("GET", "/limited", Canned(429, headers={"Retry-After": "1"}), Canned(200, [1]))
    started = time.monotonic()
    assert client(stub).get_json("/limited") == [1]
    assert time.monotonic() - started >= 1.0
    assert stub.hits("GET", "/limited") == 2


def test_a_long_rate_limit_is_raised_not_hammered(stub):
    reset = str(int(time.time()) + 3600)
    stub.script(
        "GET",
        "/limited",
        Canned(
            403,
            {"message": "API rate limit exceeded"},
            headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset},
        ),
    )
    with pytest.raises(RateLimited) as raised:
        client(stub, max_wait=60).get_json("/limited")
    assert raised.value.seconds > 3000
    assert stub.hits("GET", "/limited") == 1


def test_the_token_is_sent_in_the_chosen_scheme(stub):
    stub.script("GET", "/me", Canned(200, {}))
    ForgeClient(stub.url, token="abc", auth_scheme="PRIVATE-TOKEN").get_json("/me")
    ForgeClient(stub.url, token="abc", auth_scheme="Bearer").get_json("/me")
    assert stub.requests[0].headers["PRIVATE-TOKEN"] == "abc"
    assert stub.requests[1].headers["Authorization"] == "Bearer abc"


def test_a_download_follows_the_redirect_and_streams_to_disk(stub, tmp_path):
    stub.script("GET", "/tarball/main", Canned(302, headers={"Location": f"{stub.url}/blob"}))
    stub.script("GET", "/blob", Canned(200, b"x" * 5000))
    dest = tmp_path / "a.tar.gz"
    assert client(stub).download("/tarball/main", dest, max_bytes=10_000) == 5000
    assert dest.read_bytes() == b"x" * 5000


def test_a_download_over_the_limit_is_stopped_and_removed(stub, tmp_path):
    stub.script("GET", "/big", Canned(200, b"x" * 5000))
    dest = tmp_path / "big"
    with pytest.raises(TooLarge):
        client(stub).download("/big", dest, max_bytes=1000)
    assert not dest.exists()


def test_a_dropped_download_is_retried_from_the_start(stub, tmp_path):
    stub.script(
        "GET", "/flaky", Canned(200, b"y" * 4000, truncate_to=100), Canned(200, b"y" * 4000)
    )
    dest = tmp_path / "f"
    assert client(stub).download("/flaky", dest, max_bytes=10_000) == 4000
    assert dest.read_bytes() == b"y" * 4000


def test_rate_limit_wait_reads_the_forges_headers():
    class R:
        def __init__(self, status, headers):
            self.status_code, self.headers = status, headers

    assert rate_limit_wait(R(429, {"Retry-After": "7"})) == 7
    assert (
        rate_limit_wait(R(403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "110"}), now=100)
        == 11
    )
    assert rate_limit_wait(R(403, {})) is None
    assert rate_limit_wait(R(429, {})) == 60
