import io
import tarfile

import pytest

from intake.leaks import find_in_text, scan_tree_for_secrets
from intake.scanning import (
    EICAR,
    ENGINE_BUILTIN,
    ENGINE_CLAMAV,
    ScannerUnavailable,
    clamd_ping,
    scan_path,
)
from settings import Settings
from tests.support.clamd import clamd_server_fixture, clamd_url_fixture  # noqa: F401
from tests.support.hostile import make_zip
from tests.support.intake import write_tree
from tests.support.services import free_port


def eicar_cases(directory):
    """EICAR bare, in a zip, and in a tar.gz inside a zip."""
    bare = directory / "eicar.com"
    bare.write_bytes(EICAR)
    in_zip = make_zip(directory / "eicar.zip", {"src/eicar.txt": EICAR, "ok.py": b"x = 1"})
    tgz = io.BytesIO()
    with tarfile.open(fileobj=tgz, mode="w:gz") as archive:
        info = tarfile.TarInfo("deep/eicar.bin")
        info.size = len(EICAR)
        archive.addfile(info, io.BytesIO(EICAR))
    nested = make_zip(directory / "nested.zip", {"inner.tar.gz": tgz.getvalue()})
    return {"bare": bare, "zip": in_zip, "tar.gz in zip": nested}


def clean_zip(directory):
    return make_zip(directory / "clean.zip", {"app.py": b"print('hello')\n"})


def test_clamd_rejects_eicar_bare_in_a_zip_and_in_a_tar_gz_inside_a_zip(clamd_url, tmp_path):
    settings = Settings(clamd_url=clamd_url)
    for label, path in eicar_cases(tmp_path).items():
        result = scan_path(settings, path)
        assert not result.clean, label
        assert result.engine == ENGINE_CLAMAV
        assert "Eicar" in result.signature, label


def test_clamd_passes_clean_code(clamd_url, tmp_path):
    result = scan_path(Settings(clamd_url=clamd_url), clean_zip(tmp_path))
    assert (result.clean, result.signature, result.engine) == (True, None, ENGINE_CLAMAV)
    assert clamd_ping(clamd_url)


def test_a_configured_but_unreachable_clamd_fails_closed(tmp_path):
    url = f"tcp://127.0.0.1:{free_port()}"
    with pytest.raises(ScannerUnavailable):
        scan_path(Settings(clamd_url=url), clean_zip(tmp_path))
    assert clamd_ping(url) is False


def test_an_unusable_clamd_url_fails_closed(tmp_path):
    with pytest.raises(ScannerUnavailable):
        scan_path(Settings(clamd_url="http://clamd"), clean_zip(tmp_path))


def test_the_builtin_scanner_finds_eicar_bare_in_a_zip_and_nested(tmp_path):
    settings = Settings()
    for label, path in eicar_cases(tmp_path).items():
        result = scan_path(settings, path)
        assert (result.clean, result.signature, result.engine) == (
            False,
            "Eicar-Test-Signature",
            ENGINE_BUILTIN,
        ), label
    assert scan_path(settings, clean_zip(tmp_path)).clean


def test_the_builtin_scanner_finds_a_signature_split_across_read_blocks(tmp_path):
    path = tmp_path / "big.bin"
    path.write_bytes(b"a" * (256 * 1024 - 10) + EICAR)
    assert scan_path(Settings(), path).signature == "Eicar-Test-Signature"


def test_secrets_are_found_by_kind_and_line_without_their_value(tmp_path):
    key = "AKIA" + "ABCDEFGHIJKLMNOP"
    token = "ghp_" + "a" * 36
    root = write_tree(
        tmp_path,
        {
            "config.py": f"# settings\nAWS_KEY = '{key}'\n",
            "deploy/id_rsa": "-----BEGIN RSA PRIVATE KEY-----\nMIIE...\n",
            "ci.yml": f"token: {token}\nslack: xoxb-1234567890-abcdef\n",
            "logo.png": b"\0\x89PNG" + key.encode(),
        },
    )
    warnings = scan_tree_for_secrets(root)
    assert "Possible AWS access key ID in config.py (line 2)." in " ".join(warnings)
    assert any("private key in deploy/id_rsa (line 1)" in w for w in warnings)
    assert any("GitHub token in ci.yml (line 1)" in w for w in warnings)
    assert any("Slack token in ci.yml (line 2)" in w for w in warnings)
    assert not any("logo.png" in w for w in warnings)
    assert not any(key in w or token in w for w in warnings)


def test_ordinary_code_has_no_secret_warnings():
    assert find_in_text(b"password = os.environ['PASSWORD']\nkey = settings.API_KEY\n") == []


def test_a_large_archive_streams_whole_to_clamd_and_eicar_at_its_end_is_found(clamd_url, tmp_path):
    import os

    settings = Settings(clamd_url=clamd_url)
    big = make_zip(
        tmp_path / "big.zip",
        {"noise.bin": os.urandom(24 * 1024 * 1024), "zz/eicar.txt": EICAR},
        method=0,  # stored: the bytes go to clamd as they are
    )
    result = scan_path(settings, big)
    assert not result.clean and "Eicar" in result.signature
    clean = make_zip(tmp_path / "clean-big.zip", {"noise.bin": os.urandom(24 * 1024 * 1024)}, 0)
    assert scan_path(settings, clean).clean


def test_clamd_on_a_unix_socket_url_is_understood(tmp_path):
    with pytest.raises(ScannerUnavailable):
        scan_path(Settings(clamd_url=f"unix://{tmp_path}/missing.ctl"), clean_zip(tmp_path))
