"""Raw, page-cache-bypassing I/O on a block device or a regular file.

Like bmaptool's copy engine, everything here works on a plain file too, so most tests
and the demo can run on sparse files; only the block-device specifics (ioctls, O_EXCL
claim, sysfs presence) are conditional.
"""

from __future__ import annotations

import errno
import fcntl
import mmap
import os
import stat
import struct
from pathlib import Path
from types import TracebackType

from station.errors import DeviceError, TargetGone, TargetRefused

ALLOWLIST_ENV = "STATION_DEVICE_ALLOWLIST"
BLKGETSIZE64 = 0x80081272
BLKSSZGET = 0x1268
BLKPBSZGET = 0x127B
BLKROGET = 0x125E
# errno values that mean the device itself is gone rather than a bad sector.
GONE_ERRNOS = {errno.ENODEV, errno.ENXIO, errno.ENOMEDIUM, errno.ESHUTDOWN}


def aligned_buffer(size: int) -> mmap.mmap:
    """An anonymous mapping: page-aligned, so O_DIRECT accepts it."""
    return mmap.mmap(-1, max(size, mmap.PAGESIZE))


def check_allowlist(path: str) -> None:
    """When STATION_DEVICE_ALLOWLIST is set, refuse every /dev node not listed in it.

    Tests set it to the loop devices they made; a bench may set it to its dock's ports.
    """
    listed = os.environ.get(ALLOWLIST_ENV)
    if listed is None or not path.startswith("/dev/"):
        return
    allowed = [entry for entry in listed.split(":") if entry]
    real = os.path.realpath(path)
    if not any(real == os.path.realpath(entry) for entry in allowed):
        raise TargetRefused(
            path, [f"not in {ALLOWLIST_ENV}"], [f"absent de {ALLOWLIST_ENV} (disques permis)"]
        )


class BlockTarget:
    """An open target. Use `BlockTarget.open(...)` and close it (it is a context manager)."""

    def __init__(
        self,
        path: str,
        fd: int,
        *,
        size: int,
        logical_block_size: int,
        physical_block_size: int,
        is_block_device: bool,
        direct_io: bool,
        rdev: int,
    ) -> None:
        self.path = path
        self.fd = fd
        self.size = size
        self.logical_block_size = logical_block_size
        self.physical_block_size = physical_block_size
        self.is_block_device = is_block_device
        self.direct_io = direct_io
        self.rdev = rdev

    @classmethod
    def open(cls, path: str, *, write: bool) -> BlockTarget:
        check_allowlist(path)
        try:
            info = Path(path).stat()
        except FileNotFoundError as exc:
            raise TargetGone(f"{path} does not exist", french=f"{path} n'existe pas") from exc
        is_block = stat.S_ISBLK(info.st_mode)
        if not is_block and not stat.S_ISREG(info.st_mode):
            raise TargetRefused(
                path,
                ["neither a block device nor a regular file"],
                ["ni un disque ni un fichier ordinaire"],
            )
        flags = (os.O_RDWR if write else os.O_RDONLY) | os.O_CLOEXEC
        if is_block and write:
            # O_EXCL on a block device claims it: it fails if mounted or held by md/dm.
            flags |= os.O_EXCL
        fd, direct = _open_direct(path, flags, is_block)
        try:
            if is_block:
                size = _ioctl_u64(fd, BLKGETSIZE64)
                logical = _ioctl_int(fd, BLKSSZGET)
                physical = _ioctl_int(fd, BLKPBSZGET)
                if write and _ioctl_int(fd, BLKROGET):
                    raise TargetRefused(
                        path, ["the device is read-only"], ["le disque est en lecture seule"]
                    )
            else:
                size = info.st_size
                logical, physical = 512, max(512, info.st_blksize)
                if direct and size % 4096:
                    # A file whose tail is not 4 KiB aligned cannot end with an O_DIRECT write.
                    os.close(fd)
                    fd, direct = os.open(path, flags), False
        except BaseException:
            os.close(fd)
            raise
        return cls(
            path,
            fd,
            size=size,
            logical_block_size=logical,
            physical_block_size=physical,
            is_block_device=is_block,
            direct_io=direct,
            rdev=info.st_rdev if is_block else 0,
        )

    @property
    def alignment(self) -> int:
        """Offsets and lengths used with this target are multiples of this."""
        return max(4096, self.logical_block_size) if self.size % 4096 == 0 else 512

    def write_at(self, buf: memoryview, offset: int) -> None:
        done = 0
        while done < len(buf):
            written = os.pwrite(self.fd, buf[done:], offset + done)
            if written <= 0:
                raise OSError(errno.EIO, "short write")
            done += written

    def read_into(self, buf: memoryview, offset: int) -> int:
        done = 0
        while done < len(buf):
            got = os.preadv(self.fd, [buf[done:]], offset + done)
            if got <= 0:
                break
            done += got
        return done

    def flush(self) -> None:
        """Ask the kernel and the drive to commit their write caches."""
        os.fsync(self.fd)

    def drop_cache(self) -> None:
        """Without O_DIRECT (tmpfs files), evict cached pages so a read-back hits storage."""
        if not self.direct_io:
            os.fsync(self.fd)
            os.posix_fadvise(self.fd, 0, 0, os.POSIX_FADV_DONTNEED)

    def still_present(self) -> bool:
        """False once a block device has left the bus (its sysfs node is gone)."""
        if not self.is_block_device:
            return Path(self.path).exists()
        major, minor = os.major(self.rdev), os.minor(self.rdev)
        return Path(f"/sys/dev/block/{major}:{minor}").exists()

    def gone_error(self, exc: OSError) -> TargetGone | None:
        """A TargetGone when `exc` means the device disappeared, None for a media error."""
        if not self.still_present():
            # Whatever errno the kernel gave for the dead queue (EIO, ENOSPC...), the
            # plain fact for the operator is that the disk left the system.
            return TargetGone(
                f"{self.path} disappeared: the disk was removed or unplugged",
                french=f"{self.path} a disparu : le disque a été retiré ou débranché",
            )
        if exc.errno in GONE_ERRNOS:
            why = os.strerror(exc.errno)
            return TargetGone(
                f"{self.path} disappeared ({why})", french=f"{self.path} a disparu ({why})"
            )
        return None

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> BlockTarget:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _open_direct(path: str, flags: int, is_block: bool) -> tuple[int, bool]:
    try:
        return os.open(path, flags | os.O_DIRECT), True
    except OSError as exc:
        if exc.errno == errno.EBUSY:
            raise TargetRefused(
                path,
                ["in use (mounted or held by another driver)"],
                ["en cours d'utilisation (monté, ou tenu par un autre pilote)"],
            ) from exc
        if exc.errno == errno.EROFS or exc.errno == errno.EACCES:
            raise TargetRefused(
                path,
                [f"cannot open for writing: {exc.strerror}"],
                [f"impossible de l'ouvrir en écriture ({exc.strerror})"],
            ) from exc
        if exc.errno != errno.EINVAL or is_block:
            raise DeviceError(
                f"cannot open {path}: {exc.strerror}",
                french=f"impossible d'ouvrir {path} ({exc.strerror})",
            ) from exc
    # Some filesystems (tmpfs) refuse O_DIRECT; reads then go through drop_cache().
    return os.open(path, flags), False


def _ioctl_u64(fd: int, request: int) -> int:
    value: int = struct.unpack("Q", fcntl.ioctl(fd, request, b"\0" * 8))[0]
    return value


def _ioctl_int(fd: int, request: int) -> int:
    value: int = struct.unpack("i", fcntl.ioctl(fd, request, b"\0" * 4))[0]
    return value
