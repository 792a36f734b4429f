#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Randomized torture test of healblk (issue 11), seeded and replayable.

  torture.py --seed N --steps N [--keep-going]

Runs as root with healblk loaded (fault_injection is not needed: faults
are real I/O errors from device-mapper tables switched under the legs).
Three legs and a pool of three spare disks, each a loop device over a
sparse 48 MiB file under a dm linear device.  A model keeps, for every
4 KiB block of the device, the tag of the last write to it (0: never
written, zeros); a block's content is derived from (seed, tag, block), each
512-byte sector carrying a header, so a stale, misplaced or torn block is
named.  A random sequence of steps (every choice from random.Random(seed),
so a seed replays the same sequence): writes, a fault on a range of a leg
(dm `error` target: reads and writes fail), its healing (back to linear),
fail-leg, rebuild, replace (a leg in sync copied to a spare while it serves,
then swapped), spare add and remove, scrub, destroy + assemble, waiting
for background syncs, and reading every leg directly.  After EVERY step the
whole device is read with O_DIRECT, in random order (healblk balances reads
by 64 KiB chunk, and a sequential reader sticks to one leg), and every
block must hold exactly what the model says.

Single-fault discipline: a new fault or fail-leg is injected only while
the device is optimal (every leg in sync), no sync runs, no other fault is
active and no leg has bad ranges left.  healblk then promises that no read
fails and no acknowledged write is lost: a read error, a failed write or
other bytes than the model's are all failures.

Hard crashes (power cut with writes in flight) are left out: they need a
VM boot per crash (tests/crash/, scripts/crash.sh).  With them the model
would have to accept the old or the new content of the blocks in flight.

Replay: each step draws from random.Random("SEED:STEP"); which actions
are open depends on the device's state, and that on timing (is the rebuild
still running?), so a replay can take another turn at some step; the steps
after it draw what they drew before.

Each step is printed on one line; on a failure the device's status and the
kernel's last messages are printed, and the exit code is 1 (0: passed).
"""
import argparse
import json
import mmap
import os
import random
import signal
import struct
import subprocess
import sys
import tempfile
import time

BLOCK = 4096
SECTOR = 512
META = 2048                     # HEALBLK_META_SECTORS: data starts here on a leg
DISK_MIB = 48
NR_LEGS = 3
NR_POOL = 3
MAGIC = b"HTRT"
HDR = struct.Struct("<4sIQQI")  # magic, seed, tag, block, sector in block: 28 bytes
BODY = SECTOR - HDR.size
READ_CHUNK = 1 << 20
ZERO = bytes(BLOCK)
TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HEALCTL = os.environ.get("HEALCTL", os.path.join(TOP, "build", "bin", "healctl"))


class Failure(Exception):
    pass


def sh(*cmd, check=True, input=None):
    p = subprocess.run(list(cmd), capture_output=True, text=True, input=input)
    if check and p.returncode != 0:
        raise Failure("%s: exit %d: %s" % (" ".join(cmd), p.returncode,
                                            (p.stderr or p.stdout).strip()))
    return p


def healctl(*args, check=True):
    return sh(HEALCTL, *args, check=check)


class Disk:
    """A loop device over a sparse file, under a dm device whose table we switch."""

    def __init__(self, name, path, loop):
        self.name = name                # dm name
        self.path = path                # backing file
        self.loop = loop
        self.dev = "/dev/mapper/" + name
        self.sectors = int(sh("blockdev", "--getsz", loop).stdout)
        st = os.stat(self.dev)
        self.rdev = (os.major(st.st_rdev), os.minor(st.st_rdev))
        self.fault = None               # (start, sectors) in error, or None
        self.ever = False               # ever a leg or a spare of the device

    def load(self, table):
        sh("dmsetup", "suspend", self.name)
        try:
            sh("dmsetup", "load", self.name, input=table)
        finally:
            sh("dmsetup", "resume", self.name)

    def set_fault(self, start, sectors):
        end = start + sectors
        lines = []
        if start:
            lines.append("0 %d linear %s 0" % (start, self.loop))
        lines.append("%d %d error" % (start, sectors))
        if end < self.sectors:
            lines.append("%d %d linear %s %d" % (end, self.sectors - end, self.loop, end))
        self.load("\n".join(lines) + "\n")
        self.fault = (start, sectors)

    def heal(self):
        self.load("0 %d linear %s 0\n" % (self.sectors, self.loop))
        self.fault = None


class Buf:
    """A page-aligned buffer for O_DIRECT."""

    def __init__(self, size):
        self.size = size
        self.mm = mmap.mmap(-1, size)
        self.mv = memoryview(self.mm)


class Torture:
    def __init__(self, seed, steps, keep_going=False):
        self.seed = seed
        self.steps = steps
        self.keep_going = keep_going
        self.rng = random.Random(seed)
        self.tmp = tempfile.mkdtemp(prefix="heal-torture.")
        self.prefix = "htort%d" % os.getpid()
        self.disks = []
        self.hb = None                  # healblkN
        self.status = None
        self.model = None               # tag per block
        self.tag = 0
        self.tag_step = {0: 0}
        self.bodies = {}
        self.step = 0
        self.fault_disk = None
        self.fault_age = 0
        self.scrubbed = False
        self.failures = 0
        self.rebuild_seen = set()       # (leg, disk) episodes seen rebuilding
        self.n = dict(writes=0, blocks_written=0, faults=0, heals=0, fail_legs=0,
                      rebuild_requests=0, rebuilds=0, replaces=0, spare_adds=0, spare_removes=0,
                      scrubs=0, rewrites=0, assemblies=0, leg_checks=0, verified=0, waits=0)
        self.rbuf = Buf(READ_CHUNK)
        self.wbuf = Buf(256 * BLOCK)

    # -- setup and teardown ------------------------------------------------

    def setup(self):
        for i in range(NR_LEGS + NR_POOL):
            path = os.path.join(self.tmp, "disk%d" % i)
            with open(path, "wb") as f:
                f.truncate(DISK_MIB << 20)
            loop = sh("losetup", "-f", "--show", path).stdout.strip()
            name = "%s-d%d" % (self.prefix, i)
            size = int(sh("blockdev", "--getsz", loop).stdout)
            try:
                sh("dmsetup", "create", name, input="0 %d linear %s 0\n" % (size, loop))
            except Failure:
                sh("losetup", "-d", loop, check=False)
                raise
            self.disks.append(Disk(name, path, loop))
        # The pool's disks start full of garbage: a read of a block a rebuild
        # has not copied yet shows.
        junk = random.Random(self.seed ^ 0x5a5a).randbytes(1 << 20)
        for d in self.disks[NR_LEGS:]:
            with open(d.path, "r+b") as f:
                for _ in range(DISK_MIB):
                    f.write(junk)
        sh("udevadm", "settle", check=False)
        legs = [d.dev for d in self.disks[:NR_LEGS]]
        self.hb = healctl("create", *legs).stdout.strip()
        for d in self.disks[:NR_LEGS]:
            d.ever = True
        sh("udevadm", "settle", check=False)
        # Rebuilds and scrubs slow enough that writes and reads run beside them.
        healctl("set", self.hb, "--sync-min", "4096", "--sync-max", "16384")
        self.refresh()
        self.sectors = self.status["sectors"]
        self.nblocks = self.sectors * SECTOR // BLOCK
        self.model = [0] * self.nblocks
        self.want = [ZERO] * self.nblocks      # the model's bytes, block by block
        # A leg fails at this many I/O errors in 10 minutes: low, a fault
        # soon takes its leg out and a spare in; high, it stays as bad ranges.
        self.fail_errors = self.rng.choice([3, 5, 10])
        healctl("set", self.hb, "--fail-errors", str(self.fail_errors))
        print("# torture: seed %d, %d steps, fail at %d errors, %s over %s, pool %s, %d blocks of 4 KiB"
              % (self.seed, self.steps, self.fail_errors, self.hb, " ".join(d.name for d in self.disks[:NR_LEGS]),
                 " ".join(d.name for d in self.disks[NR_LEGS:]), self.nblocks), flush=True)

    def cleanup(self):
        if self.hb:
            for _ in range(10):
                if healctl("destroy", self.hb, check=False).returncode == 0:
                    break
                sh("udevadm", "settle", check=False)
                time.sleep(0.3)
        for d in self.disks:
            sh("dmsetup", "remove", d.name, check=False)
            sh("losetup", "-d", d.loop, check=False)
        sh("rm", "-rf", self.tmp, check=False)

    # -- the device as healblk sees it -------------------------------------

    def refresh(self):
        out = healctl("status", self.hb, "--json").stdout
        self.status = json.loads(out)["devices"][0]
        for i, leg in enumerate(self.status["legs"]):
            if leg["state"] == "rebuilding":
                d = self.disk_of(leg)
                key = (i, d.name if d else "?")
                if key not in self.rebuild_seen:
                    self.rebuild_seen.add(key)
                    self.n["rebuilds"] += 1
            else:
                self.rebuild_seen = {k for k in self.rebuild_seen if k[0] != i}
        return self.status

    def disk_of(self, leg):
        for d in self.disks:
            if d.rdev == (leg.get("major"), leg.get("minor")):
                return d
        return None

    def leg_disks(self):
        return [self.disk_of(leg) for leg in self.status["legs"]]

    def spare_disks(self):
        return [self.disk_of(s) for s in self.status["spares"]]

    def free_disks(self):
        used = {d.name for d in self.leg_disks() + self.spare_disks() if d}
        return [d for d in self.disks if d.name not in used]

    def sync_running(self):
        s = self.status.get("sync")
        return bool(s) and s["status"] == "running"

    def bad_ranges(self):
        return sum(leg["bad_ranges"] for leg in self.status["legs"])

    def quiet(self):
        """The single-fault discipline: a new fault only from here."""
        return (self.status["state"] == "optimal" and not self.sync_running()
                and not self.fault_disk and self.bad_ranges() == 0)

    def describe(self):
        legs = []
        for leg in self.status["legs"]:
            d = self.disk_of(leg)
            s = "%s:%s" % (d.name.split("-")[-1] if d else "-", leg["state"])
            if leg["state"] == "rebuilding":
                s += "@%d" % leg.get("sync_pos", 0)
            if leg["bad_ranges"]:
                s += ",bad=%d" % leg["bad_ranges"]
            legs.append(s)
        spares = [d.name.split("-")[-1] if d else "?" for d in self.spare_disks()]
        sync = self.status.get("sync")
        sy = "%s/%s" % (sync["kind"], sync["status"]) if sync else "-"
        return "%s [%s] spares [%s] sync %s" % (self.status["state"], " ".join(legs),
                                                 " ".join(spares), sy)

    # -- content -----------------------------------------------------------

    def body(self, tag):
        b = self.bodies.get(tag)
        if b is None:
            b = random.Random(self.seed * 1000003 + tag).randbytes(BODY)
            self.bodies[tag] = b
        return b

    def expect(self, tag, block):
        if tag == 0:
            return ZERO
        body = self.body(tag)
        seed = self.seed & 0xffffffff
        return b"".join(HDR.pack(MAGIC, seed, tag, block, s) + body for s in range(8))

    def explain(self, data, block):
        """What a block holds instead, in words."""
        if bytes(data) == ZERO:
            return "zeros"
        what = []
        for s in range(8):
            magic, seed, tag, blk, sec = HDR.unpack_from(data, s * SECTOR)
            if magic != MAGIC or seed != self.seed & 0xffffffff:
                what.append("garbage")
            elif blk != block or sec != s:
                what.append("block %d's (tag %d)" % (blk, tag))
            else:
                what.append("tag %d (step %s)" % (tag, self.tag_step.get(tag, "?")))
        if len(set(what)) == 1:
            return what[0]
        return "sectors: " + ", ".join(what)

    # -- I/O ---------------------------------------------------------------

    def verify(self, path=None, offset=0, what="device"):
        """Read all of the device (or a leg's data area) in random order: every
        block exactly as the model says.  Returns the blocks checked."""
        path = path or "/dev/" + self.hb
        # Reads of every size from 4 KiB to 1 MiB: healblk picks a leg per
        # read, and a leg is skipped only if the whole read is clean on another.
        chunks, first = [], 0
        while first < self.nblocks:
            n = min(self.rng.choice([1, 2, 16, 64, 256, self.rng.randint(1, 256)]),
                    self.nblocks - first)
            chunks.append((first, n))
            first += n
        self.rng.shuffle(chunks)
        bad = []
        fd = os.open(path, os.O_RDONLY | os.O_DIRECT)
        try:
            for first, n in chunks:
                mv = self.rbuf.mv[:n * BLOCK]
                try:
                    got = os.preadv(fd, [mv], offset + first * BLOCK)
                    errs = set(range(got // BLOCK, n))
                    if errs:
                        bad.append("blocks %d+%d: a short read (%d bytes)" % (first, n, got))
                except OSError:
                    errs = set()
                    for k in range(n):
                        try:
                            os.preadv(fd, [self.rbuf.mv[k * BLOCK:(k + 1) * BLOCK]],
                                      offset + (first + k) * BLOCK)
                        except OSError as e:
                            errs.add(k)
                            bad.append("block %d: read error (%s)" % (first + k, e.strerror))
                for k in range(n):
                    if k in errs:
                        continue
                    blk = first + k
                    data = mv[k * BLOCK:(k + 1) * BLOCK]
                    if data != self.want[blk]:
                        bad.append("block %d: want tag %d (step %d), read %s"
                                   % (blk, self.model[blk], self.tag_step[self.model[blk]],
                                      self.explain(data, blk)))
        finally:
            os.close(fd)
        if bad:
            raise Failure("%s: %d blocks wrong:\n    %s%s" % (
                what, len(bad), "\n    ".join(bad[:12]),
                "\n    ..." if len(bad) > 12 else ""))
        return self.nblocks

    def write_range(self, fd, first, n):
        self.tag += 1
        tag = self.tag
        self.tag_step[tag] = self.step
        mv = self.wbuf.mv
        for k in range(n):
            mv[k * BLOCK:(k + 1) * BLOCK] = self.expect(tag, first + k)
        try:
            done = os.pwritev(fd, [mv[:n * BLOCK]], first * BLOCK)
        except OSError as e:
            raise Failure("write of blocks %d+%d failed: %s" % (first, n, e.strerror))
        if done != n * BLOCK:
            raise Failure("write of blocks %d+%d: short (%d bytes)" % (first, n, done))
        for k in range(n):
            self.model[first + k] = tag
            self.want[first + k] = bytes(mv[k * BLOCK:(k + 1) * BLOCK])
        self.n["blocks_written"] += n

    # -- steps -------------------------------------------------------------

    def s_write(self):
        ranges = []
        fd = os.open("/dev/" + self.hb, os.O_WRONLY | os.O_DIRECT)
        try:
            for _ in range(self.rng.randint(1, 8)):
                n = self.rng.choice([1, 1, 2, 8, 16, 64, 256, self.rng.randint(1, 256)])
                # Half the time near an active fault, if any: writes over a
                # failing range are what marks it bad.
                if self.fault_disk and self.rng.random() < 0.5:
                    n = self.rng.choice([n, 96, 256])
                    start, secs = self.fault_disk.fault
                    lo = max(0, (start - META) * SECTOR // BLOCK - n)
                    hi = min(self.nblocks - n, max(0, start - META + secs) * SECTOR // BLOCK)
                    first = self.rng.randint(lo, max(lo, hi))
                else:
                    first = self.rng.randrange(0, self.nblocks - n + 1)
                self.write_range(fd, first, n)
                ranges.append("%d+%d" % (first, n))
        finally:
            os.close(fd)
        self.n["writes"] += len(ranges)
        return "write %s (tags to %d)" % (" ".join(ranges), self.tag)

    def s_rewrite(self):
        """Write every block again with what it holds (the model is unchanged):
        a write over a range known bad on a leg, read back intact, clears it."""
        fd = os.open("/dev/" + self.hb, os.O_WRONLY | os.O_DIRECT)
        mv = self.wbuf.mv
        try:
            for first in range(0, self.nblocks, 256):
                n = min(256, self.nblocks - first)
                for k in range(n):
                    mv[k * BLOCK:(k + 1) * BLOCK] = self.want[first + k]
                try:
                    os.pwritev(fd, [mv[:n * BLOCK]], first * BLOCK)
                except OSError as e:
                    raise Failure("rewrite of blocks %d+%d failed: %s" % (first, n, e.strerror))
        finally:
            os.close(fd)
        self.n["rewrites"] += 1
        return "rewrite the whole device with its own content"

    def s_fault(self):
        legs = [(i, d) for i, d in enumerate(self.leg_disks()) if d]
        i, d = self.rng.choice(legs)
        data = d.sectors - META
        if self.rng.random() < 0.1:
            start, secs, kind = 0, d.sectors, "the whole disk"
        else:
            secs = 8 * self.rng.choice([1, 8, 64, 512, self.rng.randint(1, 2048)])
            secs = min(secs, data)
            start = META + 8 * self.rng.randrange(0, (data - secs) // 8 + 1)
            kind = "data sectors %d+%d" % (start - META, secs)
        d.set_fault(start, secs)
        self.fault_disk, self.fault_age = d, 0
        self.n["faults"] += 1
        return "fault leg %d (%s): %s fail every I/O" % (i, d.name, kind)

    def s_heal(self):
        d = self.fault_disk
        d.heal()
        self.fault_disk = None
        self.scrubbed = False
        self.n["heals"] += 1
        return "heal %s (linear again)" % d.name

    def s_fail_leg(self):
        i = self.rng.randrange(len(self.status["legs"]))
        healctl("fail-leg", self.hb, str(i))
        self.n["fail_legs"] += 1
        return "fail-leg %d" % i

    def rebuildable(self):
        if self.sync_running():
            return []
        out = []
        for i, leg in enumerate(self.status["legs"]):
            if leg["state"] not in ("failed", "missing"):
                continue
            d = self.disk_of(leg)
            if self.status["spares"] or (d and not d.fault) or self.clean_free():
                out.append(i)
        return out

    def clean_free(self):
        return [d for d in self.free_disks() if not d.fault]

    def s_rebuild(self):
        i = self.rng.choice(self.rebuildable())
        leg = self.status["legs"][i]
        d = self.disk_of(leg)
        extra = ""
        if not self.status["spares"] and not (d and not d.fault):
            extra = " (spare add %s first)" % self.add_clean_spare().name
        p = healctl("rebuild", self.hb, str(i), check=False)
        if p.returncode:
            return "rebuild %d%s refused: %s" % (i, extra, p.stderr.strip())
        self.n["rebuild_requests"] += 1
        return "rebuild %d%s" % (i, extra)

    def replaceable(self):
        """Legs in sync that may be copied to a spare (healctl replace)."""
        st = self.status
        if (self.sync_running() or st["state"] != "optimal" or len(st["legs"]) >= 4
                or any("replaces" in leg for leg in st["legs"])
                or not (st["spares"] or self.clean_free())):
            return []
        return [i for i, leg in enumerate(st["legs"]) if leg["state"] == "in_sync"]

    def s_replace(self):
        i = self.rng.choice(self.replaceable())
        extra = ""
        if not self.status["spares"]:
            extra = " (spare add %s first)" % self.add_clean_spare().name
        p = healctl("replace", self.hb, str(i), check=False)
        if p.returncode:
            return "replace %d%s refused: %s" % (i, extra, p.stderr.strip())
        self.n["replaces"] += 1
        return "replace %d%s" % (i, extra)

    def add_clean_spare(self):
        """A free disk without a fault, added as a spare: the disk."""
        s = self.rng.choice(self.clean_free())
        healctl("spare", "add", self.hb, s.dev)
        s.ever = True
        self.n["spare_adds"] += 1
        return s

    def s_spare_add(self):
        return "spare add %s" % self.add_clean_spare().name

    def s_spare_remove(self):
        k = self.rng.randrange(len(self.status["spares"]))
        d = self.spare_disks()[k]
        p = healctl("spare", "remove", self.hb, str(k), check=False)
        if p.returncode:
            # Taken for a rebuild between the status and the request.
            return "spare remove %d refused: %s" % (k, p.stderr.strip())
        self.n["spare_removes"] += 1
        return "spare remove %d (%s)" % (k, d.name if d else "?")

    def s_scrub(self):
        self.scrubbed = True
        p = healctl("scrub", self.hb, "--wait", "--json", check=False)
        self.n["scrubs"] += 1
        out = (p.stdout or p.stderr).strip()
        if p.returncode:
            if "already running" in out:
                return "scrub refused: a sync runs"
            try:
                r = json.loads(out)
            except ValueError:
                raise Failure("scrub: exit %d: %s" % (p.returncode, out))
            if r.get("unreadable"):
                raise Failure("scrub found %d blocks no leg could read: %s"
                              % (r["unreadable"], out))
            return "scrub ended %s" % r.get("status")
        r = json.loads(out)
        return "scrub: %d mismatched, %d repaired" % (r["mismatches"], r["repaired"])

    def destroy(self):
        for _ in range(20):
            p = healctl("destroy", self.hb, check=False)
            if p.returncode == 0:
                return
            sh("udevadm", "settle", check=False)
            time.sleep(0.2)
        raise Failure("destroy %s: %s" % (self.hb, p.stderr.strip()))

    def s_assemble(self):
        given = [d for d in self.disks if d.ever]
        self.rng.shuffle(given)
        old = self.hb
        self.destroy()
        self.hb = None
        self.hb = healctl("assemble", "--run", *[d.dev for d in given]).stdout.strip()
        sh("udevadm", "settle", check=False)
        self.n["assemblies"] += 1
        return "destroy %s + assemble --run %s -> %s" % (
            old, " ".join(d.name.split("-")[-1] for d in given), self.hb)

    def s_wait(self):
        t0 = time.monotonic()
        while True:
            self.refresh()
            if not self.sync_running():
                break
            if time.monotonic() - t0 > 300:
                raise Failure("the sync did not end in 300 s: %s" % self.describe())
            time.sleep(0.25)
        self.n["waits"] += 1
        return "wait for the sync (%.1f s)" % (time.monotonic() - t0)

    def s_check_legs(self):
        """Every leg in sync holds exactly the model in its data area."""
        names = []
        for i, leg in enumerate(self.status["legs"]):
            d = self.disk_of(leg)
            self.verify(d.dev, META * SECTOR, "leg %d (%s)" % (i, d.name))
            names.append(d.name.split("-")[-1])
            self.n["verified"] += self.nblocks
        self.n["leg_checks"] += 1
        return "read every leg directly: %s identical to the model" % " ".join(names)

    def choose(self):
        st = self.status
        c = [(self.s_write, 6), (self.s_assemble, 2)]
        if self.quiet():
            c += [(self.s_fault, 5), (self.s_fail_leg, 3), (self.s_check_legs, 1)]
        if self.fault_disk:
            c.append((self.s_heal, 0 if self.fault_age < 1 else 3 + self.fault_age))
        if self.rebuildable():
            c.append((self.s_rebuild, 6))
        if self.replaceable():
            c.append((self.s_replace, 2))
        if self.clean_free() and len(st["spares"]) < 2:
            c.append((self.s_spare_add, 2))
        if st["spares"]:
            c.append((self.s_spare_remove, 1))
        if self.sync_running():
            c.append((self.s_wait, 2))
        else:
            # A scrub clears the bad ranges a healed fault left; not on 6.1
            # those of over 512 sectors (one read or write of over 256 KiB),
            # which its badblocks_set() stores out of order so that
            # badblocks_check() misses them: a rewrite clears those.
            c.append((self.s_scrub, 3 if self.bad_ranges() and not self.fault_disk
                      and not self.scrubbed else 1))
        if self.bad_ranges() and not self.fault_disk:
            c.append((self.s_rewrite, 3 if self.scrubbed else 1))
        if self.fault_disk and self.fault_disk.fault[0] < META:
            c = [x for x in c if x[0] != self.s_assemble]
        total = sum(w for _, w in c)
        x = self.rng.uniform(0, total)
        for f, w in c:
            x -= w
            if x < 0:
                return f
        return c[0][0]

    def step_rng(self):
        """Each step draws from its own generator, seeded by (seed, step): the
        device's state decides which actions are open (a rebuild running or
        done depends on timing), and a choice that goes the other way in a
        replay then changes that step only, not every draw after it."""
        self.rng = random.Random("%d:%d" % (self.seed, self.step))

    def run_step(self, f):
        t0 = time.monotonic()
        try:
            what = f()
        except Failure as e:
            what = "%s: FAILED" % f.__name__[2:]
            raise Failure("step %d: %s: %s" % (self.step, f.__name__[2:], e))
        if self.fault_disk:
            self.fault_age += 1
        self.refresh()
        try:
            self.n["verified"] += self.verify()
        except Failure as e:
            raise Failure("step %d (%s): verify: %s\n  device: %s"
                          % (self.step, what, e, self.describe()))
        print("step %d: %s | verified | %s | %.1fs"
              % (self.step, what, self.describe(), time.monotonic() - t0), flush=True)

    def finish(self):
        """Heal what is left, rebuild, scrub: every leg holds the model."""
        if self.fault_disk:
            self.step += 1
            self.run_step(self.s_heal)
        for _ in range(2 * NR_LEGS):
            self.s_wait()
            if not self.rebuildable():
                break
            self.step += 1
            self.step_rng()
            self.run_step(self.s_rebuild)
        self.step += 1
        self.run_step(self.s_wait)
        if self.bad_ranges():
            self.step += 1
            self.run_step(self.s_scrub)
        if self.bad_ranges():
            self.step += 1
            self.run_step(self.s_rewrite)
        if self.status["state"] != "optimal" or self.bad_ranges():
            raise Failure("at the end the device is not optimal and clean: %s" % self.describe())
        self.step += 1
        self.step_rng()
        self.run_step(self.s_check_legs)

    def run(self):
        t0 = time.monotonic()
        self.setup()
        for self.step in range(1, self.steps + 1):
            self.step_rng()
            f = self.choose()
            try:
                self.run_step(f)
            except Failure as e:
                self.failures += 1
                self.report(e)
                if not self.keep_going:
                    break
        if not self.failures:
            try:
                self.finish()
            except Failure as e:
                self.failures += 1
                self.report(e)
        n = self.n
        print("# summary: seed %d, %d steps, %d writes (%d blocks), %d faults, %d heals, "
              "%d fail-legs, %d rebuilds (%d requested), %d replaces, %d spare adds, "
              "%d spare removes, %d scrubs, %d rewrites, %d assemblies, %d leg checks, "
              "%d blocks verified, %.0f s: %s"
              % (self.seed, self.step, n["writes"], n["blocks_written"], n["faults"],
                 n["heals"], n["fail_legs"], n["rebuilds"], n["rebuild_requests"],
                 n["replaces"], n["spare_adds"], n["spare_removes"], n["scrubs"], n["rewrites"], n["assemblies"],
                 n["leg_checks"], n["verified"], time.monotonic() - t0,
                 "FAILED" if self.failures else "passed"), flush=True)
        return 1 if self.failures else 0

    def report(self, e):
        print("FAIL: %s" % e, flush=True)
        print("# replay: tests/torture.py --seed %d --steps %d" % (self.seed, self.step))
        p = healctl("status", self.hb or "", "--json", check=False)
        print("# status: %s" % p.stdout.strip())
        k = sh("dmesg", check=False).stdout.splitlines()
        for line in k[-25:]:
            print("# dmesg: %s" % line)
        sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--keep-going", action="store_true",
                    help="go on after a failure (the first one is the one to read)")
    a = ap.parse_args()
    if os.geteuid() != 0:
        print("SKIP: torture.py runs as root")
        return 4
    if not os.path.isdir("/sys/module/healblk"):
        print("SKIP: healblk is not loaded")
        return 4
    # timeout(1) and run.sh end a test with SIGTERM: tear down all the same.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    t = Torture(a.seed, a.steps, a.keep_going)
    try:
        return t.run()
    except Failure as e:
        print("FAIL: %s" % e, flush=True)
        return 1
    finally:
        t.cleanup()


if __name__ == "__main__":
    sys.exit(main())
