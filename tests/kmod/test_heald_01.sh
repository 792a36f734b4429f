#!/usr/bin/env bash
# heald end to end: a mirror with a spare; leg 1 starts failing through an
# independent fault source (dm-error under it).  heald sees the errors
# reach its SERD threshold, journals why, fails the leg and rebuilds onto
# the spare; fio verify running throughout sees no error, the data and the
# legs are intact, `healctl why` explains it and the metrics show it.
# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"

make_loop 96; l0=$LOOP
make_loop 96; l1=$LOOP
make_loop 96; s0=$LOOP
make_dm_linear heal-hd1 "$l1"; m1=$DM
make_healblk "$l0" "$m1"; dev=$HB
# The kernel must not fail the leg by itself: heald decides here.
"$HEALCTL" set "$dev" --fail-errors 0 || fail "set --fail-errors 0"
"$HEALCTL" spare add "$dev" "$s0" || fail "spare add"
head -c 32M /dev/urandom > "$SCRATCH/data"
dd if="$SCRATCH/data" of="/dev/$dev" bs=1M oflag=direct status=none || fail "write"
want=$(sha256sum < "$SCRATCH/data" | cut -d' ' -f1)

heald_start "serd_n = 4" "serd_t = 60" "cooldown = 0"
# heald takes over spare activation from the kernel while it runs.
for ((i = 0; i < 20; i++)); do
	[ "$(dev_field "$dev" auto_spare)" = false ] && break
	sleep 0.1
done
[ "$(dev_field "$dev" auto_spare)" = false ] || fail "heald did not take over auto_spare"

# fio verify behind 40 MiB the whole time.
fio --name=load --filename="/dev/$dev" --direct=1 --ioengine=libaio --rw=randwrite \
	--offset=40M --size=40M --bs=4k --iodepth=4 --loops=4 --verify=crc32c \
	--verify_fatal=1 --do_verify=1 --verify_state_save=0 --randrepeat=0 \
	--output-format=terse --terse-version=3 > "$SCRATCH/fio.out" 2>&1 &
fio_pid=$!

# 4 MiB of leg 1 from 8 MiB in fails every I/O; 6 writes there fail on it.
dm_swap_error heal-hd1 "$l1" $((META + 16384)) 8192
write_blocks "/dev/$dev" 16384 6 "$SCRATCH/data"
journal_wait '.type == "decision" and .action == "replace-leg"' 20
id=$(echo "$JOURNAL_HIT" | jq .id)
echo "$JOURNAL_HIT" | jq -e '.taken == true and .leg == 1 and .evidence.errors_in_window >= 4' \
	> /dev/null || fail "decision: $JOURNAL_HIT"
log "decision $id: $(echo "$JOURNAL_HIT" | jq -r .reason)"
# The alarm came first, with the errors as evidence.
journal_json | jq -e --argjson id "$id" \
	'[.[] | select(.type == "alarm" and .resource == "'"$dev"'/leg1" and .id < $id)] | length == 1' \
	> /dev/null || fail "no alarm journaled before the decision"
journal_wait "(.type == \"outcome\" and .ref == $id and .outcome == \"rebuild done\")" 120
wait "$fio_pid" || { cat "$SCRATCH/fio.out"; fail "fio verify failed"; }
fio_errors_none "$SCRATCH/fio.out" || fail "fio reported an error"

[ "$(leg_field "$dev" 1 name)" = "$(basename "$s0")" ] || fail "the spare is not leg 1"
[ "$(leg_field "$dev" 1 state)" = in_sync ] || fail "leg 1 is not in sync"
[ "$(dev_field "$dev" state)" = optimal ] || fail "the device is not optimal"
[ "$(sum_range "/dev/$dev" 0 65536)" = "$want" ] || fail "data differs after healing"
check_legs_identical "/dev/$dev" "$l0" "$s0"

why=$("$HEALCTL" why "$id") || fail "healctl why $id"
echo "$why" | grep -q "decision: replace-leg, by policy" || fail "why: $why"
echo "$why" | grep -Eq "because: +leg 1 is failing; 1 other leg in sync, a spare stands by" ||
	fail "why gives no reason: $why"
echo "$why" | grep -q '"errors_in_window"' || fail "why shows no evidence: $why"
echo "$why" | grep -q "rebuild done" || fail "why shows no outcome: $why"
"$HEALCTL" why "$id" --json | jq -e '.entry.id == '"$id"' and (.outcomes | length) == 2' \
	> /dev/null || fail "why --json"

metrics=$(curl -sf "http://127.0.0.1:$HEALD_PORT/metrics") || fail "no metrics"
echo "$metrics" | grep -qx 'heald_actions_total 1' || fail "metrics: actions"
echo "$metrics" | grep -qx "heal_leg_health{device=\"$dev\",leg=\"1\"} 0" || fail "metrics: leg health"
echo "$metrics" | grep -qx "heal_leg_info{device=\"$dev\",leg=\"1\",disk=\"$(basename "$s0")\"} 1" ||
	fail "metrics: leg info"
# One series per state, always there: the spare's leg is in sync, not failed.
echo "$metrics" | grep -qx "heal_leg_state{device=\"$dev\",leg=\"1\",state=\"in_sync\"} 1" ||
	fail "metrics: leg state"
echo "$metrics" | grep -qx "heal_leg_state{device=\"$dev\",leg=\"1\",state=\"failed\"} 0" ||
	fail "metrics: leg state failed"
if command -v promtool > /dev/null; then
	echo "$metrics" | promtool check metrics || fail "metrics: promtool check metrics"
fi
echo "$metrics" | grep -Eq '^heald_alarms_total [1-9]' || fail "metrics: alarms"
"$HEALCTL" status --json | jq -e '.heald.health != null and (.heald.devices | length) == 1' \
	> /dev/null || fail "status --json has no heald part"
"$HEALCTL" status | grep -q "^heald: node" || fail "status shows no heald line"

# Stopped cleanly, heald hands spare activation back to the kernel.
kill -TERM "$HEALD_PID"
wait "$HEALD_PID"
[ "$(dev_field "$dev" auto_spare)" = true ] || fail "auto_spare not handed back"
exit "$ksft_pass"
