"""reviews.fixdiff: fixed code and patches shown against the submitted code."""

import io
import tarfile
import zipfile

import pytest

from reviews.fixdiff import FixDiffError, diff_attachment
from tests.support.workspace import SAMPLE_FILES, make_clean_attachment, make_workspace


@pytest.fixture
def ws(session, settings, tmp_path):
    return make_workspace(session, settings, tmp_path)


def _zip(files, prefix=""):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(prefix + name, content)
    return buffer.getvalue()


def _targz(files):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, content in files.items():
            data = content.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


FIXED = SAMPLE_FILES["app/main.py"].replace(
    '"SELECT * FROM users WHERE id = " + request.args["id"]', '"SELECT * FROM users WHERE id = %s"'
)


def test_a_fixed_code_zip_shows_only_the_changed_and_added_files(session, ws):
    data = _zip(
        {
            "app/main.py": FIXED,
            "app/util.js": SAMPLE_FILES["app/util.js"],
            "tests/test_main.py": "def test(): pass\n",
        }
    )
    attachment = make_clean_attachment(
        session, ws.ticket, ws.reviewer, data=data, kind="fixed_code", filename="fix.zip"
    )
    diffs = {d.path: d for d in diff_attachment(ws.ticket, attachment)}
    assert set(diffs) == {"app/main.py", "tests/test_main.py"}
    assert diffs["app/main.py"].status == "modified"
    removed = [d.text for d in diffs["app/main.py"].lines if d.kind == "del"]
    added = [d.text for d in diffs["app/main.py"].lines if d.kind == "add"]
    assert any("request.args" in line for line in removed)
    assert any("%s" in line for line in added)
    assert diffs["tests/test_main.py"].status == "added"


def test_a_single_wrapping_folder_in_the_archive_is_ignored(session, ws):
    data = _targz({"project/app/main.py": FIXED})
    attachment = make_clean_attachment(
        session, ws.ticket, ws.reviewer, data=data, kind="fixed_code", filename="fix.tar.gz"
    )
    assert [d.path for d in diff_attachment(ws.ticket, attachment)] == ["app/main.py"]


def test_entries_escaping_the_tree_are_dropped(session, ws):
    data = _zip({"../../etc/passwd": "root:x:0:0\n", "app/main.py": FIXED})
    attachment = make_clean_attachment(
        session, ws.ticket, ws.reviewer, data=data, kind="fixed_code", filename="fix.zip"
    )
    assert [d.path for d in diff_attachment(ws.ticket, attachment)] == ["app/main.py"]


def test_a_patch_is_shown_as_the_diff_it_is(session, ws):
    patch = "--- a/app/main.py\n+++ b/app/main.py\n@@ -5 +5 @@\n-old\n+new\n"
    attachment = make_clean_attachment(
        session, ws.ticket, ws.reviewer, data=patch.encode(), kind="patch", filename="fix.patch"
    )
    [diff] = diff_attachment(ws.ticket, attachment)
    assert [(d.kind, d.text) for d in diff.lines][-2:] == [("del", "old"), ("add", "new")]


def test_a_corrupt_archive_or_a_report_cannot_be_diffed(session, ws):
    broken = make_clean_attachment(
        session,
        ws.ticket,
        ws.reviewer,
        data=b"PK\x03\x04broken",
        kind="fixed_code",
        filename="fix.zip",
    )
    with pytest.raises(FixDiffError, match="could not be read"):
        diff_attachment(ws.ticket, broken)
    report = make_clean_attachment(session, ws.ticket, ws.reviewer)
    with pytest.raises(FixDiffError, match="Only fixed code and patches"):
        diff_attachment(ws.ticket, report)
