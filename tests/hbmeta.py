#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Write healblk metadata by hand, as a crash or a newer healblk would leave
it, for tests and benchmarks (Documentation/healblk-format.md):

  hbmeta.py sb-version FILE VERSION      both superblock copies in FILE (8 KiB
                                         read from a leg) get VERSION, crc fixed
  hbmeta.py bitmap-set LEG REGIONS [--every N] [BIT...]
                                         on the block device LEG, set bitmap bits:
                                         each BIT, or every Nth of REGIONS regions
  hbmeta.py sb-set LEG FIELD VALUE       on the block device LEG, set FIELD of both
                                         superblock copies to VALUE, crc resealed (a
                                         crafted superblock: FIELD is one of SB_FIELDS)
  hbmeta.py sb-get LEG FIELD             print FIELD of copy A on the block device LEG
"""
import os
import mmap
import struct
import sys

BLOCK = 4096
BM_SECTOR = 64          # HEALBLK_BM_SECTOR
BM_HEADER = 24          # magic, index, dev_uuid
BM_BITS = 4064 * 8      # HEALBLK_BM_BITS


# Offset and struct format of each superblock field (struct healblk_sb).
SB_FIELDS = {
    "version": (8, "<I"), "features": (12, "<I"), "events": (48, "<Q"),
    "data_offset": (72, "<Q"), "data_sectors": (80, "<Q"), "slot": (88, "<I"),
    "nr_slots": (92, "<I"),
    "member0_state": (96 + 16, "<I"), "member0_sync_pos": (96 + 24, "<Q"),
    "member1_state": (128 + 16, "<I"), "member1_sync_pos": (128 + 24, "<Q"),
    "fail_errors": (224, "<I"), "fail_window": (228, "<I"), "role": (232, "<I"),
    "nr_spares": (236, "<I"), "bitmap_shift": (380, "<I"), "remap_blocks": (384, "<I"),
    "events_cleared": (392, "<Q"), "mismatch_cnt": (400, "<Q"),
}


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


def sb_set(dev, field, value):
    """Both superblock copies of leg @dev get @field = @value, resealed."""
    off, fmt = SB_FIELDS[field]
    fd = os.open(dev, os.O_RDWR | os.O_DIRECT)
    buf = mmap.mmap(-1, BLOCK)
    try:
        for where in (0, BLOCK):
            os.preadv(fd, [buf], where)
            block = bytearray(buf[:BLOCK])
            block[off:off + struct.calcsize(fmt)] = struct.pack(fmt, value)
            seal(block)
            buf[:BLOCK] = bytes(block)
            os.pwritev(fd, [buf], where)
    finally:
        os.close(fd)


def sb_get(dev, field):
    """@field of copy A of leg @dev's superblock, read past the page cache."""
    off, fmt = SB_FIELDS[field]
    fd = os.open(dev, os.O_RDONLY | os.O_DIRECT)
    buf = mmap.mmap(-1, BLOCK)
    try:
        os.preadv(fd, [buf], 0)
        return struct.unpack(fmt, buf[off:off + struct.calcsize(fmt)])[0]
    finally:
        os.close(fd)


def main(argv):
    if len(argv) == 4 and argv[1] == "sb-version":
        sb_version(argv[2], int(argv[3]))
    elif len(argv) == 5 and argv[1] == "sb-set" and argv[3] in SB_FIELDS:
        sb_set(argv[2], argv[3], int(argv[4], 0))
    elif len(argv) == 4 and argv[1] == "sb-get" and argv[3] in SB_FIELDS:
        print(sb_get(argv[2], argv[3]))
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
