#!/usr/bin/env bash
# Predictive disk health (issue 12), on QEMU's emulated disks: a mirror of
# an NVMe drive (serial HEALNVME01) and an ATA disk (HEALATA01, with a
# WWN), read by heald through smartctl --json.  Status names both legs by
# serial and WWN.  The NVMe drive's critical warning is raised at run time
# (QMP qom-set of smart_critical_warning, relayed from the host):
#  - with no spare, heald journals the disk's alarm and a "keep" decision
#    (failing a disk that still holds a good copy would lose it sooner);
#    cleared, the alarms clear after two healthy reads;
#  - with a spare, the policy replaces the leg before it fails, copying it
#    to the spare while it serves (copy-to-spare: healblk's replacement),
#    the serial in the decision's evidence: the leg leaves only once the
#    copy is in sync (the kernel's events in that order).
# Needs scripts/vm.sh run with HEAL_VM_NVME=HEALNVME01 HEAL_VM_ATA=HEALATA01.
# shellcheck source=../common.sh
. "$(dirname "$0")/../common.sh"

[ -d "${HEAL_RESULTS:-/nonexistent}/qmp-$(uname -r)" ] ||
	skip "no QMP: run the VM with HEAL_VM_NVME=HEALNVME01 HEAL_VM_ATA=HEALATA01 (scripts/vm.sh)"
command -v smartctl > /dev/null || skip "no smartctl (smartmontools)"
modprobe -q nvme; modprobe -q ahci
# The drives by the serial QEMU gave them.
for ((i = 0; i < 100; i++)); do
	nvme=$(grep -l '^HEALNVME01' /sys/class/nvme/nvme*/serial 2>/dev/null | head -1)
	ata=$(grep -lx 'HEALATA01 *' /sys/block/sd*/device/vpd_pg80 2>/dev/null | head -1)
	[ -z "$ata" ] && for s in /sys/block/sd*; do
		[ -e "$s/device/vpd_pg80" ] && tr -c '[:print:]' ' ' < "$s/device/vpd_pg80" |
			grep -q HEALATA01 && ata=$s
	done
	[ -n "$nvme" ] && [ -n "$ata" ] && break
	sleep 0.1
done
[ -n "$nvme" ] || skip "no NVMe drive with serial HEALNVME01 (HEAL_VM_NVME)"
[ -n "$ata" ] || skip "no ATA disk with serial HEALATA01 (HEAL_VM_ATA)"
ns=$(basename "$(dirname "$nvme")")n1
sd=$(basename "${ata%/device/vpd_pg80}")
[ -b "/dev/$ns" ] || fail "no /dev/$ns"
log "NVMe $ns, ATA $sd"
wipefs -qa "/dev/$ns" "/dev/$sd" 2>/dev/null

make_healblk "/dev/$ns" "/dev/$sd"; dev=$HB
make_loop 128; s0=$LOOP
heald_start "smart_interval = 2" "cooldown = 0" "scrub_interval = 0"
legs() { "$HEALCTL" status --json | jq -c '.heald.devices[0].legs'; }
for ((i = 0; i < 150; i++)); do
	legs | jq -e '.[0].smart.read != null and .[1].smart.read != null' > /dev/null && break
	sleep 0.2
done
l=$(legs)
echo "$l" | jq -e '.[0].serial == "HEALNVME01" and .[0].smart.protocol == "NVMe" and .[0].smart.level == "ok"' \
	> /dev/null || fail "leg 0: $(echo "$l" | jq -c '.[0]')"
echo "$l" | jq -e '.[1].serial == "HEALATA01" and .[1].wwn == "naa.5000c50012345678" and
	.[1].smart.protocol == "ATA" and .[1].smart.smart_passed == true' > /dev/null ||
	fail "leg 1: $(echo "$l" | jq -c '.[1]')"
log "legs: $(echo "$l" | jq -c '[.[] | {name, serial, wwn, model, level: .smart.level}]')"
# What smartctl said, kept with the results (tests/fuzz/corpus/smart seeds).
smartctl --json=c -a "/dev/$ns" > "$HEAL_RESULTS/smartctl-nvme.json" 2>&1
smartctl --json=c -a "/dev/$sd" > "$HEAL_RESULTS/smartctl-ata.json" 2>&1

cw() {	# cw VALUE: the NVMe drive's critical warning
	local r
	r=$(qmp "{\"execute\":\"qom-set\",\"arguments\":{\"path\":\"/machine/peripheral/hnvme0\",\"property\":\"smart_critical_warning\",\"value\":$1}}") ||
		fail "qmp: $r"
	echo "$r" | jq -e '.return == {}' > /dev/null || fail "qom-set smart_critical_warning $1: $r"
}

# No spare: alarmed, kept.
cw 4
journal_wait '.type == "decision" and .resource == "'"$dev"'/leg0"' 30
echo "$JOURNAL_HIT" | jq -e '.action == "keep" and .taken == false and .evidence.serial == "HEALNVME01" and
	.evidence.critical_warning == 4' > /dev/null || fail "decision without a spare: $JOURNAL_HIT"
log "no spare: $(echo "$JOURNAL_HIT" | jq -r .reason)"
journal_json | jq -e '[.[] | select(.type == "alarm" and .resource == "disk:'"$ns"'" and .serial == "HEALNVME01"
	and .state == "failing")] | length == 1' > /dev/null || fail "no disk alarm with the serial"
[ "$(leg_field "$dev" 0 state)" = in_sync ] || fail "leg 0 was taken out without a spare"
cw 0
journal_wait '.type == "clear" and .resource == "disk:'"$ns"'"' 30
journal_wait '.type == "clear" and .resource == "'"$dev"'/leg0"' 10
log "warning cleared: disk and leg alarms cleared"

# A spare: copied to it while it serves, then swapped.
"$HEALCTL" spare add "$dev" "$s0" || fail "spare add"
events_start 300
cw 4
journal_wait '.type == "decision" and .action == "copy-to-spare"' 30
id=$(echo "$JOURNAL_HIT" | jq .id)
echo "$JOURNAL_HIT" | jq -e '.taken == true and .leg == 0 and .evidence.serial == "HEALNVME01" and
	.evidence.critical_warning == 4 and (.reason | test("predicts its failure"))' > /dev/null ||
	fail "decision with a spare: $JOURNAL_HIT"
log "decision $id: $(echo "$JOURNAL_HIT" | jq -r .reason)"
journal_wait "(.type == \"outcome\" and .ref == $id and .outcome == \"rebuild done\")" 180
journal_json | jq -e "[.[] | select(.type == \"outcome\" and .ref == $id and .outcome == \"copy started\"
	and (.steps | index([\"copy: started\"])))] | length == 1" > /dev/null ||
	fail "no 'copy started' outcome with its step"
events_wait "leg_state dev=[0-9]+ leg=0 state=failed old_state=in_sync reason=replaced" 60
# Never a copy short: leg 0 left only after its copy (leg 2) was in sync.
copied=$(grep -En "leg_state dev=[0-9]+ leg=2 state=in_sync old_state=rebuilding" "$SCRATCH/events" |
	head -1 | cut -d: -f1)
left=$(grep -En "leg_state dev=[0-9]+ leg=0 state=failed" "$SCRATCH/events" | head -1 | cut -d: -f1)
{ [ -n "$copied" ] && [ "$copied" -lt "$left" ]; } ||
	fail "leg 0 left before its copy was in sync: $(cat "$SCRATCH/events")"
for ((i = 0; i < 40; i++)); do
	[ "$(dev_field "$dev" 'legs | length')" = 2 ] && break
	sleep 0.5
done
[ "$(leg_field "$dev" 0 name)" = "$(basename "$s0")" ] || fail "the spare is not leg 0"
[ "$(dev_field "$dev" state)" = optimal ] || fail "the device is not optimal"
"$HEALCTL" why "$id" | grep -q HEALNVME01 || fail "why does not name the serial"
m=$(curl -sf "http://127.0.0.1:$HEALD_PORT/metrics") || fail "no metrics"
echo "$m" | grep -qx "heal_disk_info{disk=\"$ns\",serial=\"HEALNVME01\",wwn=\"$(legs >/dev/null; echo "$l" | jq -r '.[0].wwn')\",model=\"QEMU NVMe Ctrl\"} 1" ||
	fail "metrics: $(echo "$m" | grep heal_disk_info)"
echo "$m" | grep -qx "heal_disk_predicted_failure{disk=\"$ns\"} 1" || fail "metrics: predicted failure"
echo "$m" | grep -qx "heal_disk_nvme_critical_warning{disk=\"$ns\"} 4" || fail "metrics: critical warning"
echo "$m" | grep -E "^heal_disk_(info|predicted|nvme|temperature)" | sed 's/^/# /'
exit "$ksft_pass"
