import contextlib
import io
import os
import struct
import tracemalloc

import pytest

from intake import storage
from models.crypto import Keyring, configure_keyring, generate_key, get_keyring
from models.rotation import ROTATION_HOOKS


@pytest.fixture
def keyring():
    previous = None
    with contextlib.suppress(Exception):  # no keyring configured yet
        previous = get_keyring()
    ring = Keyring.from_setting(f"k1:{generate_key()}")
    configure_keyring(ring)
    yield ring
    if previous is not None:
        configure_keyring(previous)


def test_a_stored_stream_reads_back_identical_across_many_chunks(tmp_path, keyring):
    data = os.urandom(storage.CHUNK_BYTES * 2 + 12345)
    key = storage.store_stream(io.BytesIO(data), root=tmp_path)
    assert storage.read_blob(key, root=tmp_path) == data


def test_an_empty_file_round_trips(tmp_path, keyring):
    key = storage.store_bytes(b"", root=tmp_path)
    assert storage.read_blob(key, root=tmp_path) == b""


def test_the_plaintext_never_appears_on_disk(tmp_path, keyring):
    secret = b"password = 'hunter2' " * 1000
    key = storage.store_bytes(secret, root=tmp_path)
    raw = storage.blob_path(key, tmp_path).read_bytes()
    assert b"hunter2" not in raw
    assert key not in str(tmp_path)  # random names, not derived from content


def _chunk_spans(raw: bytes, header_len: int) -> list[tuple[int, int]]:
    spans, offset = [], header_len
    while offset < len(raw):
        (length,) = struct.unpack(">I", raw[offset : offset + 4])
        end = offset + 4 + 12 + length
        spans.append((offset, end))
        offset = end
    return spans


def _stored_three_chunks(tmp_path):
    data = os.urandom(storage.CHUNK_BYTES * 2 + 10)
    key = storage.store_stream(io.BytesIO(data), root=tmp_path)
    path = storage.blob_path(key, tmp_path)
    raw = path.read_bytes()
    header_len = 3 + 2 + len(b"k1") + 32
    return key, path, raw, _chunk_spans(raw, header_len)


def test_reordered_chunks_fail_authentication(tmp_path, keyring):
    key, path, raw, spans = _stored_three_chunks(tmp_path)
    (a0, a1), (b0, b1), (c0, c1) = spans
    path.write_bytes(raw[:a0] + raw[b0:b1] + raw[a0:a1] + raw[c0:c1])
    with pytest.raises(storage.BlobError):
        storage.read_blob(key, root=tmp_path)


def test_a_blob_truncated_at_a_chunk_boundary_is_refused(tmp_path, keyring):
    key, path, raw, spans = _stored_three_chunks(tmp_path)
    path.write_bytes(raw[: spans[1][1]])
    with pytest.raises(storage.BlobError, match="truncated"):
        storage.read_blob(key, root=tmp_path)


def test_a_flipped_bit_is_refused(tmp_path, keyring):
    key, path, raw, spans = _stored_three_chunks(tmp_path)
    tampered = bytearray(raw)
    tampered[spans[1][0] + 40] ^= 1
    path.write_bytes(bytes(tampered))
    with pytest.raises(storage.BlobError):
        storage.read_blob(key, root=tmp_path)


def test_a_blob_moved_under_another_name_does_not_open(tmp_path, keyring):
    first = storage.store_bytes(b"one", root=tmp_path)
    second = storage.store_bytes(b"two", root=tmp_path)
    os.replace(storage.blob_path(first, tmp_path), storage.blob_path(second, tmp_path))
    with pytest.raises(storage.BlobError):
        storage.read_blob(second, root=tmp_path)


def test_keys_that_are_not_blob_names_are_refused(tmp_path, keyring):
    for bad in ("../../etc/passwd", "ABC", "", "0" * 31 + "/"):
        with pytest.raises(storage.BlobError):
            storage.blob_path(bad, tmp_path)


def test_deleting_removes_the_blob_and_twice_is_harmless(tmp_path, keyring):
    key = storage.store_bytes(b"x", root=tmp_path)
    assert storage.delete_blob(key, root=tmp_path) is True
    assert storage.delete_blob(key, root=tmp_path) is False
    with pytest.raises(FileNotFoundError):
        storage.open_blob(key, root=tmp_path)


def test_rotation_reseals_old_blobs_under_the_new_key_so_the_old_key_can_go(tmp_path):
    old_entry, new_entry = f"old:{generate_key()}", f"new:{generate_key()}"
    configure_keyring(Keyring.from_setting(old_entry))
    key = storage.store_bytes(b"the code", root=tmp_path)
    both = Keyring.from_setting(f"{new_entry},{old_entry}")
    configure_keyring(both)
    assert storage.rotate_blobs(both, root=tmp_path) == 1
    assert storage.blob_key_id(key, root=tmp_path) == "new"
    assert storage.rotate_blobs(both, root=tmp_path) == 0
    configure_keyring(Keyring.from_setting(new_entry))
    assert storage.read_blob(key, root=tmp_path) == b"the code"


def test_blob_rotation_is_registered_with_key_rotation():
    assert storage.rotate_blobs in ROTATION_HOOKS


def test_storing_and_reading_a_large_stream_keeps_memory_bounded(tmp_path, keyring):
    size = 32 * 1024 * 1024

    class Zeros(io.RawIOBase):
        left = size

        def readable(self):
            return True

        def readinto(self, buf):
            n = min(len(buf), self.left)
            buf[:n] = b"\0" * n
            self.left -= n
            return n

    tracemalloc.start()
    key = storage.store_stream(io.BufferedReader(Zeros()), root=tmp_path)
    total = 0
    with storage.open_blob(key, root=tmp_path) as blob:
        for block in iter(lambda: blob.read(65536), b""):
            total += len(block)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert total == size
    assert peak < 8 * storage.CHUNK_BYTES


def test_a_seal_writer_fed_in_pieces_reads_back_and_keeps_a_partial_body(tmp_path, keyring):
    data = os.urandom(storage.CHUNK_BYTES * 2 + 777)
    path = tmp_path / "segment"
    writer = storage.SealWriter(path, "a" * 32)
    for start in range(0, len(data), 300_000):
        writer.write(data[start : start + 300_000])
    writer.close()
    with storage.open_sealed(path, "a" * 32) as blob:
        assert blob.read() == data
    with pytest.raises(storage.BlobError):
        storage.open_sealed(path, "b" * 32).read()
