import io
import os
import tarfile
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from intake import archives
from intake.archives import ArchiveError, Limits, detect_type, extract_archive
from tests.support import hostile

MiB = 1024 * 1024
LIMITS = Limits(
    max_upload_bytes=20 * MiB,
    max_expanded_bytes=64 * MiB,
    max_entries=100,
    max_ratio=250,
    max_depth=2,
)
SOURCES = {"src/app.py": b"print('hi')\n", "README.md": b"# hello\n"}


def snapshot(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.fixture
def sandbox(tmp_path):
    """(archive dir, extraction dir); the test checks nothing appears anywhere else."""
    (tmp_path / "in").mkdir()
    before = snapshot(tmp_path)
    yield tmp_path / "in", tmp_path / "out"
    after = snapshot(tmp_path)
    outside = {p for p in after - before if not p.startswith(("in", "out"))}
    assert outside == set()


def refused(path: Path, out: Path, limits: Limits = LIMITS) -> ArchiveError:
    with pytest.raises(ArchiveError) as caught:
        extract_archive(path, out, limits)
    assert not any(out.rglob("*")), "a refused archive leaves nothing behind"
    return caught.value


@pytest.mark.parametrize("mode", ["w", "w:gz", "w:bz2", "w:xz"])
def test_tars_plain_and_compressed_are_extracted(sandbox, mode):
    src, out = sandbox
    path = hostile.make_tar(src / "code.bin", SOURCES, mode)
    assert sorted(extract_archive(path, out, LIMITS)) == sorted(SOURCES)
    assert (out / "src/app.py").read_bytes() == SOURCES["src/app.py"]


def test_a_zip_is_extracted_whatever_its_name(sandbox):
    src, out = sandbox
    path = hostile.make_zip(src / "upload.tar.gz", SOURCES)
    assert detect_type(path) == "zip"
    assert sorted(extract_archive(path, out, LIMITS)) == sorted(SOURCES)


def test_a_pdf_named_zip_is_an_invalid_file_format(sandbox):
    src, out = sandbox
    path = src / "code.zip"
    path.write_bytes(b"%PDF-1.7\n" + os.urandom(2000))
    error = refused(path, out)
    assert (error.message, error.status) == ("Invalid file format", 415)


def test_a_gzipped_file_that_is_not_a_tar_is_an_invalid_file_format(sandbox):
    import gzip

    src, out = sandbox
    path = src / "code.tar.gz"
    path.write_bytes(gzip.compress(b"just text, not a tar" * 100))
    assert refused(path, out).message == "Invalid file format"


def test_an_archive_over_the_upload_limit_is_refused_as_too_large(sandbox):
    src, out = sandbox
    path = hostile.make_zip(src / "big.zip", {"a.bin": os.urandom(2 * MiB)}, zipfile.ZIP_STORED)
    limits = Limits(MiB, 64 * MiB, 100, 250, 2)
    error = refused(path, out, limits)
    assert (error.message, error.status) == ("File size exceeds limit", 413)


def test_a_zip_bomb_is_refused_with_archive_expands_beyond_the_limit(sandbox):
    src, out = sandbox
    path = hostile.make_zip(src / "bomb.zip", {f"z{i}.txt": b"a" * (3 * MiB) for i in range(4)})
    limits = Limits(20 * MiB, 8 * MiB, 100, 10_000, 2)
    assert refused(path, out, limits).message == "Archive expands beyond the limit"


def test_a_tar_bomb_is_refused_with_archive_expands_beyond_the_limit(sandbox):
    src, out = sandbox
    path = hostile.make_tar(src / "bomb.tgz", {f"z{i}": b"\0" * (3 * MiB) for i in range(4)})
    limits = Limits(20 * MiB, 8 * MiB, 100, 10_000, 2)
    assert refused(path, out, limits).message == "Archive expands beyond the limit"


def test_an_entry_compressed_too_highly_is_refused(sandbox):
    src, out = sandbox
    path = hostile.make_zip(src / "ratio.zip", {"zeros.bin": b"\0" * (16 * MiB)})
    assert refused(path, out).message == archives.RATIO


def test_42_zip_style_nesting_is_refused_for_depth(sandbox):
    src, out = sandbox
    path = hostile.nested_zip(src / "42.zip", depth=4)
    assert refused(path, out).message == "Archive contains archives nested too deeply"


def test_nesting_within_the_depth_limit_is_kept_as_files(sandbox):
    src, out = sandbox
    path = hostile.nested_zip(src / "ok.zip", depth=1)
    files = extract_archive(path, out, LIMITS)
    assert files and all(name.endswith(".zip") for name in files)


def test_the_overlapping_entry_zip_bomb_is_refused(sandbox):
    src, out = sandbox
    path = hostile.overlapping_zip(src / "overlap.zip")
    assert refused(path, out).message == archives.OVERLAP


def test_duplicate_zip_entries_are_refused(sandbox):
    src, out = sandbox
    assert refused(hostile.duplicate_zip(src / "dup.zip"), out).message == archives.DUPLICATE


def test_duplicate_tar_entries_are_refused(sandbox):
    src, out = sandbox
    path = src / "dup.tar"
    with tarfile.open(path, "w") as archive:
        for body in (b"one", b"two"):
            info = tarfile.TarInfo("a.py")
            info.size = len(body)
            archive.addfile(info, io.BytesIO(body))
    assert refused(path, out).message == archives.DUPLICATE


@pytest.mark.parametrize("name", ["../evil.py", "/etc/cron.d/evil", "a/../../evil", "C:/x.py"])
def test_zip_slip_paths_are_refused_and_nothing_escapes(sandbox, name):
    src, out = sandbox
    path = hostile.make_zip(src / "slip.zip", {"ok.py": b"1", name: b"pwned"})
    assert refused(path, out).message == "Archive contains unsafe paths"


def test_tar_paths_escaping_the_root_are_refused(sandbox):
    src, out = sandbox
    path = hostile.make_tar(src / "slip.tgz", {"ok.py": b"1", "../../evil.py": b"pwned"})
    assert refused(path, out).message == "Archive contains unsafe paths"


@pytest.mark.parametrize(
    "kind", [tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.CHRTYPE, tarfile.BLKTYPE, tarfile.FIFOTYPE]
)
def test_links_and_devices_in_tars_are_refused(sandbox, kind):
    src, out = sandbox
    info = tarfile.TarInfo("special")
    info.type = kind
    info.linkname = "ok.txt" if kind == tarfile.LNKTYPE else "/etc/passwd"
    path = hostile.tar_with_member(src / "special.tgz", info)
    assert refused(path, out).message == archives.LINKS


def test_symlinks_in_zips_are_refused(sandbox):
    src, out = sandbox
    assert refused(hostile.symlink_zip(src / "link.zip"), out).message == archives.LINKS


def test_encrypted_zips_are_refused(sandbox):
    src, out = sandbox
    path = hostile.encrypted_flag_zip(src / "enc.zip")
    assert refused(path, out).message == archives.ENCRYPTED


def test_a_zip_in_a_compression_method_we_cannot_read_is_an_invalid_file_format(sandbox):
    src, out = sandbox
    error = refused(hostile.deflate64_zip(src / "d64.zip"), out)
    assert (error.message, error.status) == ("Invalid file format", 415)
    assert not any(out.rglob("*.py"))


def test_too_many_entries_are_refused(sandbox):
    src, out = sandbox
    path = hostile.make_zip(src / "many.zip", {f"f{i}.txt": b"x" for i in range(101)})
    assert refused(path, out).message == archives.TOO_MANY
    tar = hostile.make_tar(src / "many.tgz", {f"f{i}.txt": b"x" for i in range(101)})
    assert refused(tar, out).message == archives.TOO_MANY


@pytest.mark.parametrize("mode", ["w:gz", "w:bz2", "w:xz"])
def test_a_truncated_tar_is_refused_as_corrupt(sandbox, mode):
    src, out = sandbox
    path = hostile.make_tar(src / "t.bin", {"a.bin": os.urandom(200_000)}, mode)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    assert refused(path, out).message == archives.CORRUPT


def test_a_truncated_zip_is_refused_as_corrupt(sandbox):
    src, out = sandbox
    path = hostile.make_zip(src / "t.zip", {"a.bin": os.urandom(200_000)})
    path.write_bytes(path.read_bytes()[:100_000])
    assert refused(path, out).message == archives.CORRUPT


def test_a_zip_with_a_bad_crc_is_refused_as_corrupt(sandbox):
    src, out = sandbox
    path = hostile.make_zip(src / "crc.zip", {"a.txt": b"hello world " * 100}, zipfile.ZIP_STORED)
    data = bytearray(path.read_bytes())
    data[40] ^= 0xFF  # inside the stored file data
    path.write_bytes(bytes(data))
    assert refused(path, out).message == archives.CORRUPT


def test_an_empty_archive_is_refused(sandbox):
    src, out = sandbox
    assert refused(hostile.make_zip(src / "e.zip", {}), out).message == archives.EMPTY


def test_extracting_a_large_archive_keeps_memory_flat(sandbox):
    src, out = sandbox
    path = src / "large.tgz"
    with tarfile.open(path, "w:gz", compresslevel=1) as archive:
        for i in range(4):
            info = tarfile.TarInfo(f"blob{i}.bin")
            info.size = 8 * MiB
            archive.addfile(info, io.BytesIO(os.urandom(8 * MiB)))
    tracemalloc.start()
    files = extract_archive(path, out, Limits(64 * MiB, 64 * MiB, 100, 250, 2))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(files) == 4
    assert peak < 4 * MiB  # bounded by buffers, not by the 32 MiB of content


@pytest.mark.parametrize("mode", ["w:gz", "w:bz2", "w:xz"])
def test_refusing_a_bomb_keeps_memory_flat(sandbox, mode):
    src, out = sandbox
    files = {f"z{i}": b"\0" * (8 * MiB) for i in range(8)}
    path = hostile.make_tar(src / "bomb.bin", files, mode)
    tracemalloc.start()
    error = refused(path, out, Limits(20 * MiB, 48 * MiB, 100, 10_000, 2))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert error.message in ("Archive expands beyond the limit", archives.RATIO)
    # xz needs its dictionary (8 MiB at the default preset, capped by XZ_MEMLIMIT)
    assert peak < (12 * MiB if mode == "w:xz" else 4 * MiB)
