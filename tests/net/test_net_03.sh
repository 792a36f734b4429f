#!/usr/bin/env bash
# Bad network configuration is a clear error at start-up: heald exits 1
# with a message naming the uplink, the line or the interface.  (An
# interface that does not exist yet is not a mistake: tests/heald/test_api_11.)
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

topology
refused() {	# refused REGEX CONFIG-TEXT
	local out rc
	printf 'socket = %s/s\njournal = %s/j\nmetrics_port = 0\nbpf = no\n%s\n' \
		"$SCRATCH" "$SCRATCH" "$2" > "$SCRATCH/bad.conf"
	out=$(in_ns "$NODE" timeout 10 "$HEALD" -c "$SCRATCH/bad.conf" 2>&1); rc=$?
	[ "$rc" = 1 ] || fail "heald exited $rc for: $2 ($out)"
	echo "$out" | grep -Eq "$1" || fail "'$out' does not say '$1'"
	log "refused: $(echo "$out" | tail -1)"
}
refused "uplink A: gateway 10.201.2.1 is not on vA's subnet \(vA has 10.201.1.2/24\)" \
	"$(printf '[uplink A]\ninterface = vA\ngateway = 10.201.2.1')"
refused "bad.conf:8: \[uplink B\] interface vA is uplink A's already" \
	"$(printf '[uplink A]\ninterface = vA\ngateway = 10.201.1.1\n[uplink B]\ninterface = vA\ngateway = 10.201.1.5')"
refused "uplink 'A' given twice \(first at line 5\)" \
	"$(printf '[uplink A]\ninterface = vA\ngateway = 10.201.1.1\n[uplink A]\ninterface = vB\ngateway = 10.201.2.1')"
refused "bad.conf:7: \[uplink A\] gateway: '10.201.1' is not an IPv4 or IPv6 address" \
	"$(printf '[uplink A]\ninterface = vA\ngateway = 10.201.1')"
refused "\[uplink A\] needs an interface and a gateway" "$(printf '[uplink A]\ninterface = vA')"
refused "\[uplink A\] unknown key 'gw'" "$(printf '[uplink A]\ninterface = vA\ngw = 10.201.1.1')"
refused "routes: '10.0.0.0' is not a prefix" \
	"$(printf 'routes = 10.0.0.0\n[uplink A]\ninterface = vA\ngateway = 10.201.1.1')"
refused "bad section '\[uplink A B\]'" "$(printf '[uplink A B]')"
refused "bad.conf:8: \[uplink A\] targets: '10.201.9' is not a unicast IPv4 or IPv6 address" \
	"$(printf '[uplink A]\ninterface = vA\ngateway = 10.201.1.1\ntargets = 10.201.9.1 10.201.9')"
refused "\[uplink A\] targets: '224.0.0.1' is not a unicast IPv4 address" \
	"$(printf '[uplink A]\ninterface = vA\ngateway = 10.201.1.1\ntargets = 224.0.0.1')"
refused "\[uplink A\] targets: 10.201.9.1 twice" \
	"$(printf '[uplink A]\ninterface = vA\ngateway = 10.201.1.1\ntargets = 10.201.9.1 10.201.9.1')"
refused "\[uplink A\] targets: more than 4" \
	"$(printf '[uplink A]\ninterface = vA\ngateway = 10.201.1.1\ntargets = 10.0.0.1 10.0.0.2 10.0.0.3 10.0.0.4 10.0.0.5')"
refused "\[uplink A\] targets: 127.0.0.1 is not a host beyond a gateway" \
	"$(printf '[uplink A]\ninterface = vA\ngateway = 10.201.1.1\ntargets = 127.0.0.1')"
refused "bad.conf:5: \[uplink A\] targets: 10.201.1.1 is its gateway" \
	"$(printf '[uplink A]\ninterface = vA\ngateway = 10.201.1.1\ntargets = 10.201.9.1 10.201.1.1')"
refused "bad.conf:5: \[uplink A\] targets: 2001:db8:9::1 is not of its gateway's family \(IPv4\)" \
	"$(printf '[uplink A]\ninterface = vA\ngateway = 10.201.1.1\ntargets = 2001:db8:9::1')"
refused "\[uplink A6\] targets: fe80::5 is not a host beyond a gateway" \
	"$(printf '[uplink A6]\ninterface = vA\ngateway = fe80::1\ntargets = fe80::5')"
refused "\[uplink A6\] gateway: 'ff02::1' is not an IPv4 or IPv6 address" \
	"$(printf '[uplink A6]\ninterface = vA\ngateway = ff02::1')"
refused "routes: 2001:db8::/32 is IPv6, and no uplink has an IPv6 gateway" \
	"$(printf 'routes = default 2001:db8::/32\n[uplink A]\ninterface = vA\ngateway = 10.201.1.1')"
refused "\[uplink A7\] interface vA is uplink A6's already" \
	"$(printf '[uplink A6]\ninterface = vA\ngateway = fe80::1\n[uplink A7]\ninterface = vA\ngateway = fe80::2')"
refused "\[uplink A\] targets: none given" \
	"$(printf '[uplink A]\ninterface = vA\ngateway = 10.201.1.1\ntargets =')"
refused "\[uplink B\] its targets would be routed by table 254 \(target_table \+ 1\), which is route_table" \
	"$(printf 'target_table = 253\n[uplink A]\ninterface = vA\ngateway = 10.201.1.1\n[uplink B]\ninterface = vB\ngateway = 10.201.2.1\ntargets = 10.201.9.1')"
refused "\[uplink A6\] its targets would be routed by table 254 \(target_table \+ 0\)" \
	"$(printf 'target_table = 254\n[uplink A6]\ninterface = vA\ngateway = fe80::1\ntargets = default')"
refused "\[uplink B6\] gateway 2001:db8::1 is uplink A6's already" \
	"$(printf '[uplink A6]\ninterface = vA\ngateway = 2001:db8::1\n[uplink B6]\ninterface = vB\ngateway = 2001:DB8:0::1')"
# fe80::1 on two links is two gateways (written either way).
printf 'socket = %s/s\njournal = %s/j\n[uplink A6]\ninterface = vA\ngateway = fe80::1\n[uplink B6]\ninterface = vB\ngateway = FE80::1\n' \
	"$SCRATCH" "$SCRATCH" > "$SCRATCH/ll.conf"
"$HEALD" --check-config -c "$SCRATCH/ll.conf" > "$SCRATCH/ll.out" 2>&1 || fail "fe80::1 on two links refused: $(cat "$SCRATCH/ll.out")"
# And --check-config says the same without starting.
printf '[uplink A]\ninterface = vA\n' > "$SCRATCH/bad.conf"
"$HEALD" --check-config -c "$SCRATCH/bad.conf" > /dev/null 2>&1 && fail "--check-config accepted an uplink without a gateway"
exit 0
