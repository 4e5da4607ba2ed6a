"""accounts.passwords: argon2id hashes."""

from accounts.passwords import hash_password, password_problem, verify_password


def test_passwords_are_hashed_with_argon2id_and_verify():
    hashed = hash_password("a long enough password")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "a long enough password")
    assert not verify_password(hashed, "a long enough passworD")


def test_no_hash_never_verifies():
    assert not verify_password(None, "anything at all")
    assert not verify_password("not-a-hash", "anything at all")


def test_short_passwords_are_refused_with_a_reason():
    assert "at least 10" in password_problem("short")
    assert password_problem("a long enough password") is None
