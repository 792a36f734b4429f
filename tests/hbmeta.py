#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Write healblk metadata by hand, as a crash or a newer healblk would leave
it, for tests and benchmarks (Documentation/healblk-format.md):

  hbmeta.py sb-version FILE VERSION      both superblock copies in FILE (8 KiB
                                         read from a leg) get VERSION, crc fixed
  hbmeta.py bitmap-set LEG REGIONS [--every N] [BIT...]
                                         on the block device LEG, set bitmap bits:
                                         each BIT, or every Nth of REGIONS regions
"""
import os
import mmap
import struct
import sys

BLOCK = 4096
BM_SECTOR = 64          # HEALBLK_BM_SECTOR
BM_HEADER = 24          # magic, index, dev_uuid
BM_BITS = 4064 * 8      # HEALBLK_BM_BITS


def crc32c(data):
    """crc32c, seed ~0, inverted: the checksum of every healblk structure."""
    crc = 0xffffffff
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82f63b78 if crc & 1 else 0)
    return crc ^ 0xffffffff


def seal(block):
    block[4092:4096] = struct.pack("<I", crc32c(bytes(block[:4092])))


def sb_version(path, version):
    with open(path, "r+b") as f:
        for off in (0, BLOCK):
            f.seek(off)
            sb = bytearray(f.read(BLOCK))
            sb[8:12] = struct.pack("<I", version)
            seal(sb)
            f.seek(off)
            f.write(sb)


def bitmap_set(dev, bits):
    """Set @bits in the bitmap blocks of leg @dev, past its page cache."""
    fd = os.open(dev, os.O_RDWR | os.O_DIRECT)
    buf = mmap.mmap(-1, BLOCK)      # O_DIRECT wants an aligned buffer
    try:
        for index in sorted({b // BM_BITS for b in bits}):
            where = (BM_SECTOR + index * 8) * 512
            os.preadv(fd, [buf], where)
            block = bytearray(buf[:BLOCK])
            for b in bits:
                if b // BM_BITS == index:
                    r = b % BM_BITS
                    block[BM_HEADER + r // 8] |= 1 << (r % 8)
            seal(block)
            buf[:BLOCK] = bytes(block)
            os.pwritev(fd, [buf], where)
    finally:
        os.close(fd)


def main(argv):
    if len(argv) == 4 and argv[1] == "sb-version":
        sb_version(argv[2], int(argv[3]))
    elif len(argv) >= 4 and argv[1] == "bitmap-set":
        regions = int(argv[3])
        if argv[4:5] == ["--every"]:
            step = int(argv[5])
            bits = list(range(0, regions, step))
        else:
            bits = [int(b) for b in argv[4:]]
        if any(b >= regions for b in bits):
            sys.exit("hbmeta.py: a bit past the device's regions")
        bitmap_set(argv[2], bits)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
