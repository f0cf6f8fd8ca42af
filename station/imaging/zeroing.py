"""Make a byte range of a target read as zeros without streaming zeros from user space.

On a block device, first fallocate(PUNCH_HOLE | KEEP_SIZE): the kernel turns it into a
Write Zeroes that may deallocate (NVMe deallocate, SCSI WRITE SAME with UNMAP on drives
that read unmapped blocks as zeros, a loop device's hole punch) and fails rather than
write zeros itself. A device without such a command gets BLKZEROOUT, where the kernel
writes the zeros (its cost then grows with the range). Either way the range reads as
zeros afterwards. A regular file just gets zero buffers.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import struct

from station.devices.blockio import BlockTarget, aligned_buffer

BLKZEROOUT = 0x127F  # _IO(0x12, 127)
FALLOC_FL_KEEP_SIZE = 0x01
FALLOC_FL_PUNCH_HOLE = 0x02
_ZERO_CHUNK = 4 * 1024 * 1024
# No cheap zeroing command (or an offset the kernel will not take): use BLKZEROOUT.
_NOT_CHEAP = {errno.EOPNOTSUPP, errno.ENOTSUP, errno.EINVAL, errno.ENODEV, errno.ENOSYS}

_libc = ctypes.CDLL(None, use_errno=True)
_libc.fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64]
_libc.fallocate.restype = ctypes.c_int


def punch_zeros(fd: int, offset: int, length: int) -> bool:
    """Zero through the device's own zeroing command; False when it has none."""
    mode = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE
    if _libc.fallocate(fd, mode, offset, length) == 0:
        return True
    code = ctypes.get_errno()
    if code in _NOT_CHEAP:
        return False
    raise OSError(code, os.strerror(code))


def zero_range(target: BlockTarget, offset: int, length: int) -> None:
    if length <= 0:
        return
    if target.is_block_device:
        if not punch_zeros(target.fd, offset, length):
            fcntl.ioctl(target.fd, BLKZEROOUT, struct.pack("QQ", offset, length))
        return
    zeros = memoryview(aligned_buffer(_ZERO_CHUNK))
    done = 0
    while done < length:
        step = min(_ZERO_CHUNK, length - done)
        target.write_at(zeros[:step], offset + done)
        done += step
