"""tus 1.0.0 at /api/v1/uploads, driven by the tuspy client and by raw sockets."""

import base64
import hashlib
import os
import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from tusclient import client as tus_client

from intake import storage, tus
from models.tickets import Submission
from tests.support.factories import make_user
from tests.support.hostile import make_zip
from tests.support.intake import bearer, intake_settings_fixture  # noqa: F401
from tests.support.live import live_server

T = {"Tus-Resumable": "1.0.0"}


@pytest.fixture
def server(app):
    with live_server(app) as url:
        yield url


@pytest.fixture
def auth(session):
    return bearer(session, make_user(session))


def create(server, auth, length, name="code.zip"):
    meta = f"filename {base64.b64encode(name.encode()).decode()}"
    response = requests.post(
        f"{server}/api/v1/uploads",
        headers={**T, **auth, "Upload-Length": str(length), "Upload-Metadata": meta},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return response.headers["Location"]


def half_patch(url, auth, offset, body: bytes, claimed: int) -> socket.socket:
    """Send a PATCH claiming ``claimed`` bytes but only ``body``; returns the open socket."""
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
    headers = {
        **T,
        **auth,
        "Host": parts.netloc,
        "Upload-Offset": str(offset),
        "Content-Type": "application/offset+octet-stream",
        "Content-Length": str(claimed),
    }
    head = f"PATCH {parts.path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    sock.sendall(head.encode() + b"\r\n" + body)
    return sock


def offset_of(url, auth):
    response = requests.head(url, headers={**T, **auth}, timeout=10)
    return response.status_code, int(response.headers.get("Upload-Offset", -1))


def wait_for_offset(url, auth, expected, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if offset_of(url, auth)[1] == expected:
            return True
        time.sleep(0.05)
    return False


def test_options_advertises_the_protocol_and_limits(server, intake_settings):
    response = requests.options(f"{server}/api/v1/uploads", timeout=10)
    assert response.status_code == 204
    assert response.headers["Tus-Version"] == "1.0.0"
    assert set(response.headers["Tus-Extension"].split(",")) == {
        "creation", "termination", "checksum", "expiration"
    }  # fmt: skip
    assert int(response.headers["Tus-Max-Size"]) == intake_settings.max_upload_bytes
    assert response.headers["Tus-Checksum-Algorithm"] == "sha1,sha256"


def test_an_interrupted_upload_resumes_with_tuspy_and_is_byte_identical(
    server, auth, intake_settings, tmp_path, session
):
    source = make_zip(tmp_path / "code.zip", {"big.bin": os.urandom(3 * 1024 * 1024)})
    data = source.read_bytes()
    url = create(server, auth, len(data))
    # the connection drops part-way through the first PATCH
    sock = half_patch(url, auth, 0, data[:1_000_000], claimed=len(data))
    sock.close()
    assert wait_for_offset(url, auth, 1_000_000), "what arrived before the drop is kept"
    # tuspy resumes from the server's offset, in chunks, with checksums
    client = tus_client.TusClient(f"{server}/api/v1/uploads", headers={**auth})
    uploader = client.uploader(
        file_path=str(source), url=url, chunk_size=256 * 1024, upload_checksum=True
    )
    assert uploader.offset == 1_000_000
    uploader.upload()
    upload_id = url.rsplit("/", 1)[1]
    stored = tus.read_all(intake_settings, upload_id)
    assert hashlib.sha256(stored).digest() == hashlib.sha256(data).digest()
    segments = list((tus.uploads_root(intake_settings) / upload_id / "segments").iterdir())
    assert len(segments) > 1
    assert all(data[:4096] not in seg.read_bytes() for seg in segments), "encrypted at rest"
    # the finished upload becomes a ticket; its encrypted copy is the same bytes
    response = requests.post(
        f"{server}/api/v1/submissions",
        json={"upload_id": upload_id, "review_types": ["security"]},
        headers=auth,
        timeout=30,
    )
    assert response.status_code == 201, response.text
    ticket = session.query(Submission).filter_by(ticket_id=response.json()["ticket_id"]).one()
    assert storage.read_blob(ticket.upload_id) == data
    assert ticket.archive_name == "code.zip"
    assert not (tus.uploads_root(intake_settings) / upload_id).exists(), "upload removed"


def test_a_whole_upload_with_tuspy_and_metadata(server, auth, intake_settings, tmp_path):
    source = tmp_path / "x.tar"
    source.write_bytes(os.urandom(100_000))
    client = tus_client.TusClient(f"{server}/api/v1/uploads", headers={**auth})
    uploader = client.uploader(
        file_path=str(source), chunk_size=30_000, metadata={"filename": "x.tar"}
    )
    uploader.upload()
    response = requests.head(uploader.url, headers={**T, **auth}, timeout=10)
    assert response.headers["Upload-Offset"] == response.headers["Upload-Length"] == "100000"
    assert "Upload-Expires" in response.headers
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("algorithm", ["sha1", "sha256"])
def test_a_checksum_mismatch_is_460_and_the_chunk_is_discarded(server, auth, algorithm):
    url = create(server, auth, 20)
    good = base64.b64encode(hashlib.new(algorithm, b"0123456789").digest()).decode()
    headers = {**T, **auth, "Content-Type": "application/offset+octet-stream"}
    ok = requests.patch(
        url,
        data=b"0123456789",
        headers={**headers, "Upload-Offset": "0", "Upload-Checksum": f"{algorithm} {good}"},
        timeout=10,
    )
    assert ok.status_code == 204 and ok.headers["Upload-Offset"] == "10"
    bad = requests.patch(
        url,
        data=b"abcdefghij",
        headers={**headers, "Upload-Offset": "10", "Upload-Checksum": f"{algorithm} {good}"},
        timeout=10,
    )
    assert bad.status_code == 460
    assert offset_of(url, auth) == (200, 10)


def test_exact_status_codes(server, auth, intake_settings):
    url = create(server, auth, 10)
    octet = {"Content-Type": "application/offset+octet-stream"}
    wrong_version = requests.head(url, headers={"Tus-Resumable": "0.2.2", **auth}, timeout=10)
    assert wrong_version.status_code == 412
    assert wrong_version.headers["Tus-Version"] == "1.0.0"
    wrong_offset = requests.patch(
        url, data=b"abc", headers={**T, **auth, **octet, "Upload-Offset": "5"}, timeout=10
    )
    assert wrong_offset.status_code == 409
    wrong_type = requests.patch(
        url,
        data=b"abc",
        headers={**T, **auth, "Upload-Offset": "0", "Content-Type": "text/plain"},
        timeout=10,
    )
    assert wrong_type.status_code == 415
    too_big = requests.post(
        f"{server}/api/v1/uploads",
        headers={**T, **auth, "Upload-Length": str(intake_settings.max_upload_bytes + 1)},
        timeout=10,
    )
    assert too_big.status_code == 413
    assert too_big.json()["error"]["message"] == "File size exceeds limit"
    unknown = f"{server}/api/v1/uploads/{'0' * 32}"
    assert requests.head(unknown, headers={**T, **auth}, timeout=10).status_code == 404
    past_length = requests.patch(
        url, data=b"x" * 11, headers={**T, **auth, **octet, "Upload-Offset": "0"}, timeout=10
    )
    assert past_length.status_code == 413


def test_someone_elses_upload_is_404(server, auth, session):
    url = create(server, auth, 10)
    other = bearer(session, make_user(session, "other@example.com"))
    assert requests.head(url, headers={**T, **other}, timeout=10).status_code == 404
    response = requests.delete(url, headers={**T, **other}, timeout=10)
    assert response.status_code == 404


def test_termination_deletes_the_upload(server, auth):
    url = create(server, auth, 10)
    assert requests.delete(url, headers={**T, **auth}, timeout=10).status_code == 204
    assert requests.head(url, headers={**T, **auth}, timeout=10).status_code == 404


def test_a_concurrent_patch_is_refused_not_interleaved(server, auth):
    url = create(server, auth, 1000)
    first = half_patch(url, auth, 0, b"a" * 100, claimed=1000)  # holds the lock, mid-body
    time.sleep(0.3)
    second = requests.patch(
        url,
        data=b"b" * 1000,
        headers={
            **T,
            **auth,
            "Upload-Offset": "0",
            "Content-Type": "application/offset+octet-stream",
        },
        timeout=10,
    )
    assert second.status_code == 423
    first.sendall(b"a" * 900)
    assert first.recv(4096).startswith(b"HTTP/1.1 204")
    first.close()
    assert offset_of(url, auth) == (200, 1000)


def test_an_expired_upload_is_gone_and_cleaned_up(app_config, session, tmp_path):
    from app import create_app

    app_config["upload_expiry_seconds"] = 1
    app = create_app(app_config)
    settings = app.config["SETTINGS"]
    auth = bearer(session, make_user(session))
    with live_server(app) as server:
        url = create(server, auth, 10)
        upload_id = url.rsplit("/", 1)[1]
        expires = requests.head(url, headers={**T, **auth}, timeout=10).headers["Upload-Expires"]
        assert expires.endswith("GMT")
        time.sleep(1.2)
        assert requests.head(url, headers={**T, **auth}, timeout=10).status_code == 410
        assert tus.expire_uploads(settings) == 1
        assert not (tus.uploads_root(settings) / upload_id).exists()
        assert requests.head(url, headers={**T, **auth}, timeout=10).status_code == 404


def test_an_unfinished_upload_cannot_be_submitted(server, auth):
    url = create(server, auth, 10)
    response = requests.post(
        f"{server}/api/v1/submissions",
        json={"upload_id": url.rsplit("/", 1)[1], "review_types": ["security"]},
        headers=auth,
        timeout=10,
    )
    assert response.status_code == 409
    assert response.json()["error"]["message"] == "That upload has not finished yet."


def test_two_web_servers_sharing_the_storage_directory_continue_each_others_upload(
    app_config, session
):
    from app import create_app

    auth = bearer(session, make_user(session))
    first, second = create_app(dict(app_config)), create_app(dict(app_config))
    octet = {"Content-Type": "application/offset+octet-stream"}
    with live_server(first) as a, live_server(second) as b:
        url_a = create(a, auth, 20)
        path = urlsplit(url_a).path
        ok = requests.patch(
            b + path, data=b"x" * 10, headers={**T, **auth, **octet, "Upload-Offset": "0"},
            timeout=10,
        )  # fmt: skip
        assert ok.status_code == 204
        assert offset_of(url_a, auth) == (200, 10)
        stale = requests.patch(
            url_a, data=b"y" * 10, headers={**T, **auth, **octet, "Upload-Offset": "0"},
            timeout=10,
        )  # fmt: skip
        assert stale.status_code == 409


def test_the_upload_lock_holds_across_processes(server, auth, intake_settings):
    import subprocess
    import sys

    url = create(server, auth, 10)
    upload_id = url.rsplit("/", 1)[1]
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from intake import tus; from settings import Settings;"
            f"s = Settings(storage_dir={str(intake_settings.storage_dir)!r});"
            f"cm = tus.locked(s, {upload_id!r}); cm.__enter__();"
            "print('locked', flush=True); time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        cwd=Path(__file__).resolve().parents[1],
    )
    try:
        assert holder.stdout.readline().strip() == b"locked"
        response = requests.patch(
            url,
            data=b"0123456789",
            headers={
                **T,
                **auth,
                "Upload-Offset": "0",
                "Content-Type": "application/offset+octet-stream",
            },
            timeout=10,
        )
        assert response.status_code == 423
    finally:
        holder.kill()
        holder.wait(10)
    assert offset_of(url, auth) == (200, 0)
