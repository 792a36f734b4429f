#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Crash states of a mirror whose legs have volatile write caches, from
dm-log-writes (Documentation/admin-guide/device-mapper/log-writes.rst).

dm-log-writes logs a write only once it is durable: a plain write when a
later cache flush completes, a FUA write when it completes.  Each leg of
the mirror is a gate (dm-linear) over a log-writes device.  At a cut the
gates are suspended (no leg I/O in flight, none starts), a mark goes into
each log, every log-writes device gets a cache flush, a second mark
follows, and the gates resume.  So in a leg's log, the entries before mark
cutN are what the disk held for sure at that moment, and the writes
between cutN and cutN-end are those completed but still in its cache: a
power cut may have kept any of them, each leg its own.  `replay` rebuilds a
leg's disk as it was at a cut, with a random part of its cache; `check`
reads the device assembled from those disks and says whether each block
holds data the writer could have left there: the last write acknowledged
with a flush before the cut, or a later one, never older data and never
garbage.  The writer runs two halves of SECONDS, each 5 s with a flush
after about one write in four, then none, over a set of regions that moves
every 4 s; the cuts fall in the stretches without flushes, where the
bitmap's sweep cleans regions whose data may still sit in a cache.

  crashcut.py run DEV SECONDS CUTS STATE GATE:LOG...   (device-mapper names)
  crashcut.py replay LOGDEV DURABLE IMAGE MARK SEED    (cuts in order; SEED picks
                                                        the cache kept)
  crashcut.py check DEV STATE MARK
"""
import json
import mmap
import os
import random
import struct
import subprocess
import sys
import threading
import time

BLOCK = 4096
MAGIC = 0x6a736677736872
FLUSH, FUA, DISCARD, MARK = 1, 2, 4, 8


def stamp(wid, blk):
    """The 4 KiB a write @wid leaves in block @blk: recognisable, never zero."""
    head = struct.pack("<QQ", wid, blk)
    body = random.Random(wid * 1000003 + blk).randbytes(BLOCK - len(head))
    return head + body


def aligned(n):
    return mmap.mmap(-1, n)


def run(dev, seconds, cuts, state, pairs):
    """Write for @seconds, @cuts crash marks among them; the history into @state."""
    fd = os.open(dev, os.O_RDWR | os.O_DIRECT)
    blocks = os.lseek(fd, 0, os.SEEK_END) // BLOCK
    regions = max(1, blocks // 256)              # 1 MiB bitmap regions
    rng = random.Random(int(os.environ.get("CRASHCUT_SEED", "1")))
    writes = []                                  # [id, first, n, t_issue, t_done, t_durable]
    marks = []                                   # [name, t_start, t_end]
    lock = threading.Lock()
    start = time.monotonic()
    stop = threading.Event()
    pending = []                                 # completed, not yet flushed

    def writer():
        wid = 0
        hot = rng.sample(range(regions), min(3, regions))
        phase = time.monotonic()
        while not stop.is_set():
            # A new hot set every 4 s: the old regions go clean (sweep every 5 s).
            if time.monotonic() - phase > 4:
                hot = rng.sample(range(regions), min(3, regions))
                phase = time.monotonic()
            wid += 1
            n = rng.randint(1, 8)
            r = rng.choice(hot)
            first = min(r * 256 + rng.randrange(256), blocks - n)
            buf = aligned(n * BLOCK)
            buf[:] = b"".join(stamp(wid, first + i) for i in range(n))
            t0 = time.monotonic()
            os.pwritev(fd, [buf], first * BLOCK)
            t1 = time.monotonic()
            rec = [wid, first, n, t0, t1, None]
            with lock:
                writes.append(rec)
                pending.append(rec)
            # Each half: 5 s with flushes, then none (the sweep cleans regions
            # whose data is still in the legs' caches).
            flushing = (time.monotonic() - start) % (seconds / 2) < 5
            if flushing and rng.random() < 0.25:
                os.fsync(fd)                     # REQ_PREFLUSH through the mirror
                t2 = time.monotonic()
                with lock:
                    for p in pending:
                        if p[4] <= t1:
                            p[5] = t2
                    pending[:] = [p for p in pending if p[5] is None]
            time.sleep(rng.uniform(0, 0.02))

    th = threading.Thread(target=writer)
    th.start()
    gates = [p.split(":")[0] for p in pairs]
    logs = [p.split(":")[1] for p in pairs]
    # The cuts: in the second half of each stretch without flushes.
    half = seconds / 2
    at = [h * half + 5 + (half - 5) * (0.4 + 0.6 * (j + 0.5) / ((cuts + 1) // 2))
          for h in range(2) for j in range((cuts + 1) // 2)][:cuts]
    for k, t in enumerate(at):
        time.sleep(max(0.0, start + t - time.monotonic()))
        name = "cut%d" % k
        t0 = time.monotonic()
        try:
            for g in gates:
                subprocess.run(["dmsetup", "suspend", g], check=True)
            for lg in logs:
                subprocess.run(["dmsetup", "message", lg, "0", "mark", name], check=True)
                lf = os.open("/dev/mapper/" + lg, os.O_RDONLY)
                os.fsync(lf)                     # the cache's content into the log
                os.close(lf)
                subprocess.run(["dmsetup", "message", lg, "0", "mark", name + "-end"],
                               check=True)
        finally:
            for g in gates:
                subprocess.run(["dmsetup", "resume", g], check=True)
        marks.append([name, t0, time.monotonic()])
    stop.set()
    th.join()
    os.fsync(fd)
    os.close(fd)
    with open(state, "w") as f:
        json.dump({"blocks": blocks, "writes": writes, "marks": marks}, f)
    print("%d writes, %d marks" % (len(writes), len(marks)))


def replay(logdev, durable, image, mark, seed):
    """@image as the leg was at @mark, with a random part (by @seed) of
    what its cache held then.  @durable is the leg's disk at the previous
    cut replayed, kept between calls (its log position in @durable.pos):
    the cuts are replayed in order, each log read once."""
    lf = os.open(logdev, os.O_RDONLY)
    sup = os.pread(lf, 32, 0)
    magic, version, nr, secsize = struct.unpack("<QQQI", sup[:28])
    if magic != MAGIC or version != 1:
        sys.exit("%s: not a dm-log-writes log (magic %#x version %d)" % (logdev, magic, version))
    try:
        with open(durable + ".pos") as f:
            pos, entry = (int(x) for x in f.read().split())
    except FileNotFoundError:
        pos, entry = secsize, 0
    base = os.open(durable, os.O_RDWR)
    rng = random.Random(seed)
    cache, durable_n, kept = [], 0, 0
    state = "durable"                            # then "cache", then done
    while entry < nr and state != "done":
        sector, nsec, flags, dlen = struct.unpack("<QQQQ", os.pread(lf, 32, pos))
        entry += 1
        if flags & MARK:
            name = os.pread(lf, 32 + dlen, pos)[32:32 + dlen].decode()
            pos += secsize
            if state == "durable" and name == mark:
                state = "cache"
                with open(durable + ".pos", "w") as f:
                    f.write("%d %d\n" % (pos, entry))
            elif state == "cache" and name == mark + "-end":
                state = "done"
            continue
        pos += secsize
        if not nsec:
            continue
        if flags & DISCARD:
            data = bytes(nsec * secsize)
        else:
            data = os.pread(lf, nsec * secsize, pos)
            pos += nsec * secsize
        if state == "cache":
            cache.append((sector, data))
        else:
            os.pwrite(base, data, sector * secsize)
            durable_n += 1
    if state != "done":
        sys.exit("%s: no marks %s and %s-end in its %d entries" % (logdev, mark, mark, nr))
    os.close(base)
    subprocess.run(["cp", "--sparse=always", durable, image], check=True)
    out = os.open(image, os.O_WRONLY)
    for sector, data in cache:
        if rng.random() < 0.5:
            os.pwrite(out, data, sector * secsize)
            kept += 1
    os.fsync(out)
    os.close(out)
    os.close(lf)
    print("%s: %d more writes durable at %s, %d of the %d in its cache kept" %
          (logdev, durable_n, mark, kept, len(cache)))


def check(dev, state, mark):
    """Every block of @dev holds what the writer could have left at @mark."""
    with open(state) as f:
        st = json.load(f)
    t_cut, t_end = next((m[1], m[2]) for m in st["marks"] if m[0] == mark)
    per = {}
    for wid, first, n, t0, _, tdur in st["writes"]:
        for b in range(first, first + n):
            per.setdefault(b, []).append((wid, t0, tdur))
    fd = os.open(dev, os.O_RDONLY | os.O_DIRECT)
    chunk = 256                                  # blocks: 1 MiB reads
    buf = aligned(chunk * BLOCK)
    got = {}
    for c in sorted({b // chunk for b in per}):
        n = os.preadv(fd, [buf], c * chunk * BLOCK)
        for b in range(c * chunk, c * chunk + n // BLOCK):
            if b in per:
                got[b] = bytes(buf[(b - c * chunk) * BLOCK:(b - c * chunk + 1) * BLOCK])
    os.close(fd)
    bad = []
    for b, ws in sorted(per.items()):
        # The last write to b acknowledged durable before the cut: it or a
        # write issued after it (and before the cut ended) may be there.
        base = max((w for w in ws if w[2] is not None and w[2] < t_cut), key=lambda w: w[1],
                   default=None)
        allowed = {w[0] for w in ws if w[1] < t_end and (base is None or w[1] >= base[1])}
        if base is None:
            allowed.add(0)
        data = got.get(b)
        if data is None:
            bad.append("block %d: not readable" % b)
            continue
        wid = 0 if data == bytes(BLOCK) else struct.unpack("<QQ", data[:16])[0]
        if wid and data != stamp(wid, b):
            bad.append("block %d: neither zeros nor a write's data (torn or stale garbage)" % b)
        elif wid not in allowed:
            bad.append("block %d: write %d, expected one of %s" % (b, wid, sorted(allowed)))
    for line in bad[:10]:
        print("# " + line)
    print("%d blocks the writer touched, %d wrong" % (len(per), len(bad)))
    return 1 if bad else 0


def main(argv):
    if len(argv) >= 7 and argv[1] == "run":
        run(argv[2], float(argv[3]), int(argv[4]), argv[5], argv[6:])
    elif len(argv) == 7 and argv[1] == "replay":
        replay(argv[2], argv[3], argv[4], argv[5], argv[6])
    elif len(argv) == 5 and argv[1] == "check":
        return check(argv[2], argv[3], argv[4])
    else:
        sys.exit(__doc__)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
