#!/usr/bin/env bash
# healctl's usage: COMMAND --help prints that command's usage on stdout
# and exits 0; bad arguments are a usage error (exit 2) found before the
# healblk module is looked for, so the answer is the same without it.
. "$(dirname "$0")/common.sh"

export HEAL_SOCKET=$SCRATCH/nobody.sock
[ -d /sys/module/healblk ] && log "healblk is loaded: the exit codes do not depend on it"
n=0
for cmd in create destroy assemble status fail-leg set spare rebuild scrub abort fault events \
	journal why act drain undrain receive; do
	out=$("$HEALCTL" "$cmd" --help 2> "$SCRATCH/err")
	rc=$?
	[ $rc -eq 0 ] || fail "healctl $cmd --help: exit $rc"
	[ -s "$SCRATCH/err" ] && fail "healctl $cmd --help wrote to stderr: $(cat "$SCRATCH/err")"
	grep -q "^  $cmd" <<< "$out" || fail "healctl $cmd --help does not show $cmd: $out"
	[ "$(grep -c '^  [a-z]' <<< "$out")" -le 2 ] || fail "healctl $cmd --help shows other commands"
	n=$((n + 1))
done
log "$n commands with their own --help"
"$HEALCTL" --help | grep -q '^  create' || fail "healctl --help: no usage on stdout"
"$HEALCTL" -h > /dev/null || fail "healctl -h: exit $?"

# Each: exit 2, and no word about the module.
bad=(
	"fail-leg" "fail-leg healblk0" "fail-leg nodev 1" "destroy" "destroy healblk0 extra"
	"status a b" "status notadev" "set healblk0" "set healblk0 --fail-errors"
	"spare" "spare add healblk0" "spare remove healblk0 x" "rebuild healblk0"
	"scrub" "scrub healblk0 --now" "abort" "fault" "fault set" "fault set healblk0 --leg x"
	"events" "events --follow --count x" "create" "journal --limit x" "why" "why 0" "act"
	"act fail-leg healblk0 9" "drain" "drain a b" "undrain" "receive" "receive begin a"
	"receive middle a --from n" "receive end a --from n" "receive end a --from n --pid 0"
	"receive begin a --from n --failed" "receive begin a --from n --domain d"
	"receive end a --from n --pid 1 --domain d" "receive end a --from n --domain" "nosuchcommand"
)
for args in "${bad[@]}"; do
	# shellcheck disable=SC2086  # the words of each case
	"$HEALCTL" $args > "$SCRATCH/out" 2>&1
	rc=$?
	[ $rc -eq 2 ] || fail "healctl $args: exit $rc, not 2: $(head -3 "$SCRATCH/out")"
	grep -q 'module' "$SCRATCH/out" && fail "healctl $args looked for the module: $(cat "$SCRATCH/out")"
done
log "${#bad[@]} bad command lines: exit 2"
exit 0
