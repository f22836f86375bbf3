"""Zip archives from outside, opened safely: every zip Tuban reads goes through here.

A zip's directory is written by whoever made the file, so nothing it declares is trusted: names may
climb out of the folder (``../``, ``/etc``, ``C:``), entries may be symlinks, and the declared sizes
may be forged. ``check`` refuses what the directory alone shows to be hostile (too many members, a
declared total over the ceiling, a compression ratio no real layer has); ``extract`` then counts the
bytes actually inflated, so a forged size cannot carry a bomb past the ceiling.
"""

from __future__ import annotations

import io
import re
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from geo.errors import UnreadableFile
from geo.inputs import without_folders

CHUNK = 1 << 20
_DRIVE = re.compile(r"^[A-Za-z]:")
# Bit 11 of a member's flags: its name is UTF-8. Without it the name is in the maker's code
# page, which zipfile takes for CP437; Windows' own zip in China writes GBK.
_UTF8_NAME = 0x800


@dataclass(frozen=True)
class ZipLimits:
    """Ceilings for one archive: members, total inflated bytes, and the ratio of a big member."""

    max_members: int = 20_000
    max_total_bytes: int = 2 << 30
    max_ratio: int = 200
    # Small members may compress far better than big ones (a blank .cpg, a sparse index): the
    # ratio is only asked of members that inflate to more than this.
    ratio_from_bytes: int = 1 << 20


DEFAULT_LIMITS = ZipLimits()


class ArchiveRefused(UnreadableFile):
    """The archive is malformed or hostile: refused before (or while) anything is written."""

    code = "ARCHIVE_REFUSED"


def member_name(info: zipfile.ZipInfo) -> str:
    """The member's name as its maker wrote it: a name without the UTF-8 flag whose bytes are
    valid UTF-8 (some tools omit the flag) or GBK (Windows in China) is decoded so, as
    ``unzip -O GBK`` would; anything else stays as zipfile read it."""
    if info.flag_bits & _UTF8_NAME:
        return info.filename
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:  # not read as CP437 (zipfile's metadata_encoding)
        return info.filename
    if raw.isascii():
        return info.filename
    for encoding in ("utf-8", "gbk"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return info.filename


def _safe_name(name: str) -> PurePosixPath | None:
    """The member's path inside the target folder, or None when it would land outside it."""
    unified = name.replace("\\", "/")
    if not unified or unified.startswith("/") or _DRIVE.match(unified) or "\0" in unified:
        return None
    path = PurePosixPath(unified)
    if ".." in path.parts:
        return None
    return path


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


def check(zf: zipfile.ZipFile, name: str, limits: ZipLimits = DEFAULT_LIMITS) -> None:
    """Refuse an archive whose directory is hostile; ArchiveRefused (a 400) naming the member."""
    infos = zf.infolist()
    if len(infos) > limits.max_members:
        raise ArchiveRefused(
            f"压缩包内文件过多（{len(infos)} 个，上限 {limits.max_members} 个）",
            file=name,
            members=len(infos),
        )
    total = 0
    for info in infos:
        member = member_name(info)
        if _safe_name(member) is None or _is_symlink(info):
            raise ArchiveRefused(f"压缩包内路径不安全：{member!r}", file=name, member=member)
        total += info.file_size
        big = info.file_size > limits.ratio_from_bytes
        if big and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            raise ArchiveRefused(
                f"压缩包内 {member} 的压缩比异常（疑似压缩炸弹）", file=name, member=member
            )
    if total > limits.max_total_bytes:
        raise ArchiveRefused(
            f"压缩包解压后过大（声明 {total >> 20} MB，上限 {limits.max_total_bytes >> 20} MB）",
            file=name,
            declared_bytes=total,
        )


def open_zip(path: Path, name: str, limits: ZipLimits = DEFAULT_LIMITS) -> zipfile.ZipFile:
    """The archive at ``path``, checked; UnreadableFile when it is not a zip at all."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnreadableFile(f"无法打开压缩包：{without_folders(str(exc))}", file=name) from None
    try:
        check(zf, name, limits)
    except BaseException:
        zf.close()
        raise
    return zf


def extract(
    zf: zipfile.ZipFile, dest: Path, name: str, limits: ZipLimits = DEFAULT_LIMITS
) -> list[Path]:
    """Write every regular member under ``dest`` counting the bytes really inflated; ArchiveRefused
    as soon as a member outgrows its declared size or the total outgrows the ceiling."""
    check(zf, name, limits)
    written: list[Path] = []
    budget = limits.max_total_bytes
    for info in zf.infolist():
        rel = _safe_name(member_name(info))
        assert rel is not None  # check() refused unsafe names
        target = dest.joinpath(*rel.parts)
        if info.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        budget -= _copy_member(zf, info, target, name, budget)
        written.append(target)
    return written


def _copy_member(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, name: str, budget: int
) -> int:
    """Inflate one member into ``target``; the bytes written. Never more than its declared size
    nor than ``budget``: zipfile alone trusts the header it is given."""
    size, member = 0, member_name(info)
    try:
        with zf.open(info) as src, target.open("wb") as out:
            while chunk := src.read(CHUNK):
                size += len(chunk)
                if size > info.file_size or size > budget:
                    raise ArchiveRefused(
                        f"压缩包内 {member} 的实际大小超过声明或上限（疑似伪造）",
                        file=name,
                        member=member,
                    )
                out.write(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
        raise ArchiveRefused(
            f"压缩包内 {member} 已损坏或不受支持：{exc}", file=name, member=member
        ) from None
    return size


def member_names(data: bytes, name: str, limits: ZipLimits = DEFAULT_LIMITS) -> set[str]:
    """The member names of an in-memory archive after ``check``; UnreadableFile if not a zip."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as exc:
        raise UnreadableFile(f"无法打开压缩包：{without_folders(str(exc))}", file=name) from None
    with zf:
        check(zf, name, limits)
        return {member_name(info) for info in zf.infolist()}
