"""Make a byte range of a target read as zeros without streaming zeros from user space.

On a block device BLKZEROOUT lets the kernel use the drive's Write Zeroes (or a loop
device's fallocate); a regular file just gets zero buffers.
"""

from __future__ import annotations

import fcntl
import struct

from station.devices.blockio import BlockTarget, aligned_buffer

BLKZEROOUT = 0x127F  # _IO(0x12, 127)
_ZERO_CHUNK = 4 * 1024 * 1024


def zero_range(target: BlockTarget, offset: int, length: int) -> None:
    if length <= 0:
        return
    if target.is_block_device:
        fcntl.ioctl(target.fd, BLKZEROOUT, struct.pack("QQ", offset, length))
        return
    zeros = memoryview(aligned_buffer(_ZERO_CHUNK))
    done = 0
    while done < length:
        step = min(_ZERO_CHUNK, length - done)
        target.write_at(zeros[:step], offset + done)
        done += step
