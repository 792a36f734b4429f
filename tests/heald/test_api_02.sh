#!/usr/bin/env bash
# A root client that is also a lagging subscriber and asks for an action:
# the action's journal entries are broadcast to it mid-request, it falls
# too far behind, and today heald frees it before answering it (issue 12:
# api.c:444).  Root pipelines "act reroute" (dry run: journaled, nothing
# changed) on its own subscribed connection and never reads.
# Expected: heald stops serving a client that does not read its replies
# (no request is lost), and once it reads, every request has its reply and
# every decision its event; heald lives on.
. "$(dirname "$0")/common.sh"

# One uplink to a gateway namespace that answers pings, so reroute is allowed.
GW=$NS-gw
netns_add "$NS"
netns_add "$GW"
ip link add vA netns "$NS" type veth peer name gA netns "$GW" || fail "veth"
ip -n "$NS" addr add 10.202.1.2/24 dev vA
ip -n "$GW" addr add 10.202.1.1/24 dev gA
ip -n "$NS" link set vA up
ip -n "$GW" link set gA up
heald_conf "dry_run = yes" "[uplink A]" "interface = vA" "gateway = 10.202.1.1"
heald_start
for ((i = 0; i < 50; i++)); do
	[ "$(hc status | jq -r '.uplinks[0].up // .network.uplinks[0].up // empty' 2>/dev/null)" = true ] && break
	sleep 0.1
done
r=$(hc act action=reroute uplink=A) || fail "act reroute"
jq -e '.ok == true' <<< "$r" > /dev/null || fail "act reroute refused: $r"

"$PY" - "$SOCK" "$HC" <<'PY' || fail "scenario"
import json, sys, time
sys.path.insert(0, sys.argv[2].rsplit("/", 1)[0])
from hclient import Client
c = Client(sys.argv[1], timeout=30)
assert c.request({"cmd": "events"})["ok"]
# Phase 1: pipeline 1500 acts, never reading (today heald falls > 1 MiB
# behind at about 1100), or until heald stops taking them for 6 s.
c.s.setblocking(False)
line = b'{"cmd":"act","action":"reroute","uplink":"A"}\n'
sent, end, blocked = 0, time.monotonic() + 50, None
while time.monotonic() < end and sent < 1500:
    try:
        n = c.s.send(line)
        assert n == len(line), "a partial send"  # Unix stream: all or nothing here
        sent += 1
        blocked = None
    except BlockingIOError:
        blocked = blocked or time.monotonic()
        if time.monotonic() - blocked > 6:
            break
        time.sleep(0.01)
    except (BrokenPipeError, ConnectionResetError):
        print("# heald closed the connection after", sent, "requests")
        sys.exit(1)
# Phase 2: read everything back: one reply per request, every decision published.
c.s.setblocking(True)
c.s.settimeout(30)
replies = decisions = 0
while replies < sent:
    l = c.readline()
    if l is None:
        print("# connection closed after", replies, "of", sent, "replies")
        sys.exit(1)
    o = json.loads(l)
    if "ok" in o:
        assert o["ok"] is True, o
        replies += 1
    elif o.get("type") == "journal" and o["entry"].get("type") == "decision" and \
            o["entry"].get("reason", "").startswith("asked by uid 0"):
        decisions += 1
while decisions < sent:
    l = c.readline()
    if l is None:
        break
    o = json.loads(l)
    if o.get("type") == "journal" and o["entry"].get("type") == "decision":
        decisions += 1
print("# requests pipelined without reading:", sent, "replies:", replies,
      "decisions published:", decisions)
sys.exit(0 if replies == sent and decisions == sent else 1)
PY
heald_done
