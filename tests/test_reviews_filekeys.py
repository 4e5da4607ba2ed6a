"""reviews.filekeys: path lookups without decrypting, surviving key rotation."""

from models.crypto import Keyring, configure_keyring, generate_key, get_keyring
from reviews.filekeys import file_key, file_keys
from tests.conftest import TEST_KEYS


def test_the_same_path_of_the_same_ticket_always_gets_the_same_key(app):
    assert file_key(1, "a/b.py") == file_key(1, "a/b.py")
    assert file_key(1, "a/b.py") != file_key(2, "a/b.py")
    assert file_key(1, "a/b.py") != file_key(1, "a/c.py")
    assert "a/b.py" not in file_key(1, "a/b.py") and len(file_key(1, "a/b.py")) == 64


def test_after_rotation_lookups_still_find_comments_keyed_with_the_old_key(app):
    original = get_keyring()
    old = file_key(7, "x.py")
    try:
        configure_keyring(Keyring.from_setting(f"new:{generate_key()},{TEST_KEYS}"))
        assert file_key(7, "x.py") != old
        assert old in file_keys(7, "x.py")
    finally:
        configure_keyring(original)
