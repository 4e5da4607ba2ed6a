"""models.crypto: AES-GCM sealing with key ids, for rotation."""

import os

import pytest
from cryptography.exceptions import InvalidTag

from models.crypto import Keyring, KeyringError, generate_key


def ring(*kids: str) -> tuple[Keyring, dict[str, str]]:
    keys = {kid: generate_key() for kid in kids}
    return Keyring.from_setting(",".join(f"{k}:{v}" for k, v in keys.items())), keys


def test_a_sealed_value_opens_with_the_same_label():
    keyring, _ = ring("a")
    sealed = keyring.seal(b"def main(): pass", "review_comments.body")
    assert b"def main" not in sealed
    assert keyring.open(sealed, "review_comments.body") == b"def main(): pass"


def test_sealing_twice_gives_different_ciphertexts():
    keyring, _ = ring("a")
    assert keyring.seal(b"x", "l") != keyring.seal(b"x", "l")


def test_a_value_moved_to_another_column_does_not_open():
    keyring, _ = ring("a")
    sealed = keyring.seal(b"secret", "feedback.security")
    with pytest.raises(InvalidTag):
        keyring.open(sealed, "ratings.comment")


def test_a_tampered_value_does_not_open():
    keyring, _ = ring("a")
    sealed = bytearray(keyring.seal(b"secret", "l"))
    sealed[-1] ^= 1
    with pytest.raises(InvalidTag):
        keyring.open(bytes(sealed), "l")


def test_the_first_key_seals_and_older_keys_still_open():
    old, keys = ring("old")
    sealed_old = old.seal(b"v", "l")
    new = Keyring.from_setting(f"new:{generate_key()},old:{keys['old']}")
    assert new.open(sealed_old, "l") == b"v"
    assert Keyring.key_id_of(new.seal(b"v", "l")) == "new"
    assert new.needs_rotation(sealed_old)


def test_a_value_sealed_with_a_dropped_key_is_reported_by_its_key_id():
    old, _ = ring("old")
    sealed = old.seal(b"v", "l")
    new, _ = ring("new")
    with pytest.raises(KeyringError, match="old"):
        new.open(sealed, "l")


@pytest.mark.parametrize(
    "setting, message",
    [
        ("", "empty"),
        ("nokey", "kid:base64key"),
        ("a:!!!!", "base64|32 bytes"),
        ("a:AAAA", "32 bytes"),
    ],
)
def test_unusable_key_settings_are_refused_with_a_reason(setting, message):
    with pytest.raises(KeyringError, match=message):
        Keyring.from_setting(setting)


def test_duplicate_key_ids_are_refused():
    key = generate_key()
    with pytest.raises(KeyringError, match="Duplicate"):
        Keyring.from_setting(f"a:{key},a:{key}")


def test_a_large_repetitive_value_sealed_with_compression_opens_unchanged_and_much_smaller():
    keyring, _ = ring("a")
    payload = b'{"pull_request": {"title": "Fix the parser"}, "action": "opened"}' * 300
    sealed = keyring.seal(payload, "webhook_deliveries.payload", compress=True)
    assert Keyring.is_compressed(sealed)
    assert len(sealed) < len(payload) / 5
    assert keyring.open(sealed, "webhook_deliveries.payload") == payload


def test_small_or_incompressible_values_are_sealed_as_they_are_even_when_compression_is_asked():
    keyring, _ = ring("a")
    random_bytes = os.urandom(4096)
    for value in (b"short", random_bytes):
        sealed = keyring.seal(value, "l", compress=True)
        assert not Keyring.is_compressed(sealed)
        assert keyring.open(sealed, "l") == value


def test_the_compression_flag_is_authenticated_so_flipping_it_does_not_open():
    keyring, _ = ring("a")
    sealed = bytearray(keyring.seal(b"x" * 2048, "l", compress=True))
    sealed[0] = 1  # claim "not compressed"
    with pytest.raises(InvalidTag):
        keyring.open(bytes(sealed), "l")


def test_resealing_moves_a_value_to_the_current_key_and_keeps_its_compression():
    old, keys = ring("old")
    compressed = old.seal(b"y" * 4096, "l", compress=True)
    plain = old.seal(b"y" * 4096, "l")
    new = Keyring.from_setting(f"new:{generate_key()},old:{keys['old']}")
    for sealed in (compressed, plain):
        fresh = new.reseal(sealed, "l")
        assert Keyring.key_id_of(fresh) == "new"
        assert Keyring.is_compressed(fresh) == Keyring.is_compressed(sealed)
        assert new.open(fresh, "l") == b"y" * 4096
