// SPDX-License-Identifier: GPL-2.0
/*
 * healctl: control healblk devices over generic netlink.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "../lib/heald_client.h"
#include "../lib/log.h"
#include "healctl.h"

const char *hb_prog = "healctl";

int usage(void)
{
	fprintf(stderr,
		"usage: healctl [--json] COMMAND ...\n"
		"  create LEG...                  mirror the block devices LEG... as /dev/healblkN\n"
		"  destroy DEV                    remove a device (not while it is open)\n"
		"  assemble LEG... | --scan       bring a device back from its legs' metadata\n"
		"  status [DEV] [--json]          devices, legs, states and counters\n"
		"  fail-leg DEV LEG               take leg LEG out of the mirror\n"
		"  set DEV [--fail-errors N] [--fail-window SECONDS] [--auto-spare on|off]\n"
		"          [--sync-min KIB_S] [--sync-max KIB_S]\n"
		"                                 fail a leg at N I/O errors within SECONDS (N 0: never);\n"
		"                                 rebuild/scrub rate while busy, and idle (0: unlimited)\n"
		"  spare add DEV DISK             a disk standing by to replace a failed leg\n"
		"  spare remove DEV N             drop spare N\n"
		"  rebuild DEV LEG                rebuild a failed leg (onto a spare if there is one)\n"
		"  scrub DEV [--wait]             read every leg, repair mismatches from a good copy\n"
		"  abort DEV                      stop the rebuild or scrub running\n"
		"  fault set DEV --leg N [--op read|write|flush|rw] [--start SECTOR]\n"
		"            [--sectors N] [--percent P] [--count C] [--delay-us US]\n"
		"  fault clear DEV --leg N        (needs healblk loaded with fault_injection=1)\n"
		"  events --follow [--json] [--count N] [--timeout SEC]\n"
		"heald (its socket: $HEAL_SOCKET, default " HEALD_SOCKET_DEFAULT "):\n"
		"  journal [--after ID] [--limit N] what heald decided and did, oldest first\n"
		"  why ID                         the evidence and reasoning of one decision\n"
		"  act fail-leg DEV LEG | rebuild DEV LEG | add-spare DEV DISK | scrub DEV\n"
		"      | reroute [UPLINK]         (reroute: the routes through UPLINK, or the other healthy one)\n"
		"                                 ask heald to act (root); journaled like its own\n"
		"status also shows heald's view when it runs.  Exit codes: 0 done, 1 failed,\n"
		"2 usage, 3 heald is not running (heald's commands).\n"
		"DEV is healblkN, /dev/healblkN or N; sectors are 512 bytes of the data area.\n");
	return EXIT_USAGE;
}

int kernel_error(struct healctl *ctl, const char *what, int err)
{
	if (ctl->nl.reason[0])
		hb_err("%s: %s: %s", what, strerror(-err), ctl->nl.reason);
	else
		hb_err("%s: %s", what, strerror(-err));
	return 1;
}

static const struct {
	const char *name;
	int (*fn)(struct healctl *ctl, int argc, char **argv);
	bool kernel;	/* talks to healblk: needs the module */
} commands[] = {
	{ "create", cmd_create, true },
	{ "destroy", cmd_destroy, true },
	{ "assemble", cmd_assemble, true },
	{ "status", cmd_status, true },
	{ "fail-leg", cmd_fail_leg, true },
	{ "set", cmd_set, true },
	{ "spare", cmd_spare, true },
	{ "rebuild", cmd_rebuild, true },
	{ "scrub", cmd_scrub, true },
	{ "abort", cmd_abort, true },
	{ "fault", cmd_fault, true },
	{ "events", cmd_events, true },
	{ "journal", cmd_journal, false },
	{ "why", cmd_why, false },
	{ "act", cmd_act, false },
};

int main(int argc, char **argv)
{
	struct healctl ctl = { 0 };
	int i, j, ret, n = 0;

	/* --json may stand anywhere; every other argument keeps its place. */
	for (i = 1, j = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			ctl.json = true;
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return usage(), 0;
		else
			argv[j++] = argv[i];
	}
	argc = j;
	if (argc < 2)
		return usage();

	for (i = 0; i < (int)(sizeof(commands) / sizeof(commands[0])); i++)
		if (!strcmp(argv[1], commands[i].name))
			break;
	if (i == (int)(sizeof(commands) / sizeof(commands[0]))) {
		hb_err("unknown command '%s'", argv[1]);
		return usage();
	}

	if (!commands[i].kernel)
		return commands[i].fn(&ctl, argc - 2, argv + 2);
	ret = hb_nl_open(&ctl.nl);
	if (ret == -ENOENT && commands[i].fn == cmd_status) {
		/* heald may run without healblk: show its view alone. */
		ctl.nl.sk = NULL;
		return cmd_status(&ctl, argc - 2, argv + 2);
	}
	if (ret == -ENOENT) {
		hb_err("the healblk module is not loaded (modprobe healblk or insmod healblk.ko)");
		return 1;
	}
	if (ret) {
		hb_err("cannot talk to the kernel over generic netlink: %s", strerror(-ret));
		return 1;
	}
	n = commands[i].fn(&ctl, argc - 2, argv + 2);
	hb_nl_close(&ctl.nl);
	return n;
}
