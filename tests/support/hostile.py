"""Hostile archives, generated on the spot: bombs, slips, links, lies and damage."""

from __future__ import annotations

import io
import struct
import tarfile
import warnings
import zipfile
from pathlib import Path


def make_zip(path: Path, files: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", method) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path


def make_tar(path: Path, files: dict[str, bytes], mode: str = "w:gz") -> Path:
    with tarfile.open(path, mode) as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def tar_with_member(path: Path, info: tarfile.TarInfo, mode: str = "w:gz") -> Path:
    with tarfile.open(path, mode) as archive:
        ok = tarfile.TarInfo("ok.txt")
        ok.size = 2
        archive.addfile(ok, io.BytesIO(b"ok"))
        archive.addfile(info, io.BytesIO(b"x" * info.size) if info.isreg() else None)
    return path


def nested_zip(path: Path, depth: int, payload: bytes = b"deep") -> Path:
    """42.zip-style: a zip holding zips holding zips ... ``depth`` levels below the top."""
    data = zip_bytes({"payload.txt": payload})
    for level in range(depth):
        data = zip_bytes({f"layer{level}-{i}.zip": data for i in range(4)}, zipfile.ZIP_STORED)
    path.write_bytes(data)
    return path


def zip_bytes(files: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def tar_gz_bytes(files: dict[str, bytes]) -> bytes:
    """A well-formed .tar.gz of ``files`` in memory (what forges serve as a tarball)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def overlapping_zip(path: Path, copies: int = 50) -> Path:
    """The overlapping-entry zip bomb: many central-directory entries share one local file."""
    kernel = b"\0" * (1024 * 1024)
    data = zip_bytes({"kernel.bin": kernel})
    eocd_at = data.rindex(b"PK\x05\x06")
    (cd_size, cd_offset) = struct.unpack("<II", data[eocd_at + 12 : eocd_at + 20])
    record = data[cd_offset : cd_offset + cd_size]
    name_len = struct.unpack("<H", record[28:30])[0]
    records = []
    for i in range(copies):
        name = f"k{i:04d}.bin".encode()
        patched = record[:28] + struct.pack("<H", len(name)) + record[30:46] + name
        patched += record[46 + name_len :]
        records.append(patched)
    central = b"".join(records)
    body = data[:cd_offset]
    eocd = data[eocd_at:]
    eocd = eocd[:8] + struct.pack("<HHII", copies, copies, len(central), len(body)) + eocd[20:]
    path.write_bytes(body + central + eocd)
    return path


def encrypted_flag_zip(path: Path) -> Path:
    """A zip whose entry says it is encrypted (bit 0 of the flags, local and central)."""
    data = bytearray(zip_bytes({"secret.txt": b"ciphertext-pretend"}, zipfile.ZIP_STORED))
    data[6] |= 0x1
    central = data.rindex(b"PK\x01\x02")
    data[central + 8] |= 0x1
    path.write_bytes(bytes(data))
    return path


def deflate64_zip(path: Path) -> Path:
    """A zip whose entry claims Deflate64 (method 9), which Python's zipfile cannot decode."""
    data = bytearray(zip_bytes({"a.py": b"print('hello')\n"}, zipfile.ZIP_STORED))
    data[8:10] = (9).to_bytes(2, "little")
    central = data.rindex(b"PK\x01\x02")
    data[central + 10 : central + 12] = (9).to_bytes(2, "little")
    path.write_bytes(bytes(data))
    return path


def duplicate_zip(path: Path) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("a.py", b"good = 1")
            archive.writestr("a.py", b"evil = 1")
    return path


def symlink_zip(path: Path) -> Path:
    info = zipfile.ZipInfo("link")
    info.external_attr = 0o120777 << 16
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("ok.txt", b"ok")
        archive.writestr(info, b"/etc/passwd")
    return path
