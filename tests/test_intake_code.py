import pytest

from intake import code, storage
from tests.support.factories import make_ticket, make_user
from tests.support.intake import intake_settings_fixture, write_tree  # noqa: F401

FILES = {
    "app.py": "print('hello')\n",
    "pkg/util.js": "export const x = 1;\n",
    "assets/logo.png": b"\x89PNG\r\n\x1a\n\0\0\0binary",
}


def test_a_stored_tree_lists_every_file_with_size_binary_flag_and_language(
    session, intake_settings, tmp_path
):
    ticket = make_ticket(session, make_user(session))
    code.store_tree_for_ticket(session, ticket, write_tree(tmp_path / "src", FILES))
    listed = {f.path: f for f in code.list_files(ticket)}
    assert set(listed) == set(FILES)
    assert listed["app.py"].language == "python"
    assert listed["pkg/util.js"].language == "javascript"
    assert listed["assets/logo.png"].is_binary is True
    assert listed["app.py"].is_binary is False
    assert listed["app.py"].size == len(FILES["app.py"])
    assert ticket.archive_key


def test_read_file_returns_the_plaintext_and_unknown_paths_raise(
    session, intake_settings, tmp_path
):
    ticket = make_ticket(session, make_user(session))
    code.store_tree_for_ticket(session, ticket, write_tree(tmp_path / "src", FILES))
    assert code.read_file(ticket, "pkg/util.js") == FILES["pkg/util.js"].encode()
    with pytest.raises(FileNotFoundError):
        code.read_file(ticket, "../etc/passwd")


def test_the_tree_is_encrypted_at_rest(session, intake_settings, tmp_path):
    ticket = make_ticket(session, make_user(session))
    code.store_tree_for_ticket(session, ticket, write_tree(tmp_path / "src", FILES))
    blobs = list(storage.blob_dir().rglob("*"))
    assert blobs
    for path in blobs:
        if path.is_file():
            assert b"hello" not in path.read_bytes()
            assert b"app.py" not in path.read_bytes()


def test_replacing_a_tree_deletes_the_old_blobs(session, intake_settings, tmp_path):
    ticket = make_ticket(session, make_user(session))
    code.store_tree_for_ticket(session, ticket, write_tree(tmp_path / "a", FILES))
    first = set(storage.iter_blob_keys())
    code.store_tree_for_ticket(session, ticket, write_tree(tmp_path / "b", {"x.go": "package x"}))
    assert not first & set(storage.iter_blob_keys())
    assert [f.path for f in code.list_files(ticket)] == ["x.go"]


def test_symlinks_in_the_directory_are_not_followed(session, intake_settings, tmp_path):
    (tmp_path / "outside.txt").write_text("secret outside")
    src = write_tree(tmp_path / "src", {"a.py": "x = 1"})
    (src / "link.txt").symlink_to(tmp_path / "outside.txt")
    ticket = make_ticket(session, make_user(session))
    code.store_tree_for_ticket(session, ticket, src)
    assert [f.path for f in code.list_files(ticket)] == ["a.py"]


def test_a_ticket_without_code_lists_nothing(session, intake_settings):
    ticket = make_ticket(session, make_user(session))
    assert code.list_files(ticket) == []
