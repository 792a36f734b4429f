#!/usr/bin/env bash
# No redundancy: a one-leg device holding a mounted file system starts
# failing (dm-error under its only leg).  heald never fails the last copy:
# it journals a report, the leg stays in the mirror, and the mount on it
# shows as a workload at risk in heald's health model.
# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"

make_loop 64; l0=$LOOP
make_dm_linear heal-hd5 "$l0"; m0=$DM
make_healblk "$m0"; dev=$HB
mkfs.ext4 -q -F "/dev/$dev" || fail "mkfs.ext4"
mkdir "$SCRATCH/mnt"
mount "/dev/$dev" "$SCRATCH/mnt" || fail "mount"
trap 'umount "$SCRATCH/mnt" 2>/dev/null; cleanup' EXIT	# a failure must not leave it mounted
head -c 4M /dev/urandom > "$SCRATCH/mnt/file"
sync
want=$(sha256sum < "$SCRATCH/mnt/file" | cut -d' ' -f1)
# Blocks near the end, far from ext4's metadata, read before they go bad.
first=$(( $(blockdev --getsz "/dev/$dev") - 16384 ))
dd if="/dev/$dev" of="$SCRATCH/blocks" bs=4k skip=$((first / 8)) count=$((6 * 16)) \
	iflag=direct status=none || fail "read the blocks"

heald_start "serd_n = 3" "serd_t = 60" "cooldown = 0"
dm_swap_error heal-hd5 "$l0" $((META + first)) 4096
for ((k = 0; k < 6; k++)); do
	dd if="$SCRATCH/blocks" of="/dev/$dev" bs=4k skip=$((k * 16)) seek=$((first / 8 + k * 16)) \
		count=1 oflag=direct conv=notrunc status=none || true
done
journal_wait '.type == "decision" and .action == "report"' 20
id=$(echo "$JOURNAL_HIT" | jq .id)
echo "$JOURNAL_HIT" | jq -e '.taken == false and (.reason | test("no other leg is in sync"))' \
	> /dev/null || fail "decision: $JOURNAL_HIT"
journal_wait "(.type == \"outcome\" and .ref == $id and .outcome == \"reported\")" 5
[ "$(leg_field "$dev" 0 state)" = in_sync ] || fail "the only leg was taken out"
"$HEALCTL" status --json | jq -e --arg m "mount:$SCRATCH/mnt" \
	'.heald.resources[] | select(.name == $m) | .state == "failing" and .kind == "workload"' \
	> /dev/null || fail "the mount is not flagged: $("$HEALCTL" status --json | jq -c .heald.resources)"
"$HEALCTL" status | grep -q "mount:$SCRATCH/mnt" || fail "status text does not flag the mount"
[ "$(sha256sum < "$SCRATCH/mnt/file" | cut -d' ' -f1)" = "$want" ] || fail "the file changed"
umount "$SCRATCH/mnt" || fail "umount"
exit "$ksft_pass"
