// SPDX-License-Identifier: GPL-2.0
/*
 * healctl: control healblk devices over generic netlink.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../lib/heald_client.h"
#include "../lib/log.h"
#include "../lib/schema.h"
#include "healctl.h"

const char *hb_prog = "healctl";

/* Each command's lines of the usage, also its own --help. */
static const struct command {
	const char *name;
	int (*fn)(struct healctl *ctl, int argc, char **argv);
	const char *help;
} commands[] = {
	{ "create", cmd_create,
	  "  create [--assume-clean] LEG... mirror the block devices LEG... as /dev/healblkN;\n"
	  "                                 leg 0 is copied to the others in the background\n"
	  "                                 unless --assume-clean (they are identical already)\n" },
	{ "destroy", cmd_destroy,
	  "  destroy DEV                    remove a device (not while it is open)\n" },
	{ "assemble", cmd_assemble,
	  "  assemble [--run] [--force] DISK... | --scan [--uuid UUID] [--run] [--force]\n"
	  "           | --incremental [--config FILE] DISK\n"
	  "                                 bring a device back from its disks' metadata;\n"
	  "                                 --run: even with a leg missing (degraded),\n"
	  "                                 --force: two legs ran apart, keep the newest;\n"
	  "                                 --incremental (udev, at boot): once all legs of\n"
	  "                                 a device heald.conf lists ([array]) are there\n" },
	{ "examine", cmd_examine,
	  "  examine [--export] [--config FILE] DISK|DEV | --scan\n"
	  "                                 a disk's healblk superblock, or which device a\n"
	  "                                 healblkN is; --export: KEY=VALUE for udev;\n"
	  "                                 --scan: [array] sections for heald.conf\n" },
	{ "status", cmd_status,
	  "  status [DEV] [--json] [--test] devices, legs, states and counters\n"
	  "                                 (and heald's view when it runs); --test: the\n"
	  "                                 node's health as exit code (as mdadm --detail\n"
	  "                                 --test, Nagios): 0 ok, 1 degraded, 2 failing or\n"
	  "                                 failed, 3 unknown (heald is not running)\n" },
	{ "fail-leg", cmd_fail_leg,
	  "  fail-leg DEV LEG               take leg LEG out of the mirror\n" },
	{ "set", cmd_set,
	  "  set DEV [--fail-errors N] [--fail-window SECONDS] [--auto-spare on|off]\n"
	  "          [--sync-min KIB_S] [--sync-max KIB_S]\n"
	  "                                 fail a leg at N I/O errors within SECONDS (N 0: never);\n"
	  "                                 rebuild/scrub rate while busy, and idle (0: unlimited)\n" },
	{ "spare", cmd_spare,
	  "  spare add DEV DISK             a disk standing by to replace a failed leg\n"
	  "  spare remove DEV N             drop spare N\n" },
	{ "re-add", cmd_readd,
	  "  re-add DEV DISK                a leg that left (failed, or missing at a degraded\n"
	  "                                 start) is back, or a failed leg's own disk: into its\n"
	  "                                 slot, caught up from the bitmap if it was in sync\n"
	  "                                 when it left\n" },
	{ "rebuild", cmd_rebuild,
	  "  rebuild DEV LEG                rebuild a failed leg (onto a spare if there is one):\n"
	  "                                 every sector is copied\n" },
	{ "replace", cmd_replace,
	  "  replace DEV LEG                copy leg LEG, in sync, to a spare while it serves;\n"
	  "                                 then the spare takes its place (md's want_replacement)\n" },
	{ "scrub", cmd_scrub,
	  "  scrub DEV [--check] [--wait]   read every leg, repair mismatches from a good copy\n"
	  "                                 (--check: count them, repair nothing)\n" },
	{ "abort", cmd_abort,
	  "  abort DEV                      stop the rebuild or scrub running\n" },
	{ "fault", cmd_fault,
	  "  fault set DEV --leg N [--op read|write|flush|meta|rw] [--start SECTOR]\n"
	  "            [--sectors N] [--percent P] [--count C] [--delay-us US]\n"
	  "  fault clear DEV --leg N        (needs healblk loaded with fault_injection=1)\n" },
	{ "events", cmd_events,
	  "  events --follow [--json] [--count N] [--timeout SEC]\n" },
	{ "journal", cmd_journal,
	  "  journal [--after ID] [--limit N] what heald decided and did, oldest first\n"
	  "  journal --follow [--count N] [--timeout SEC]\n"
	  "                                 the last 10 entries (--limit, --after), then each\n"
	  "                                 new one as heald writes it; --json: one line each\n"
	  "                                 entries after --after that heald no longer holds:\n"
	  "                                 said on stderr, exit 1 (--follow --json: a\n"
	  "                                 {\"type\":\"gap\"} line where they are missing)\n" },
	{ "why", cmd_why,
	  "  why ID                         the evidence and reasoning of one decision\n" },
	{ "act", cmd_act,
	  "  act fail-leg DEV LEG | rebuild DEV LEG | add-spare DEV DISK | scrub DEV\n"
	  "      | reroute [UPLINK]         (reroute: the routes through UPLINK, or the other healthy one)\n"
	  "                                 ask heald to act (root); journaled like its own\n" },
	{ "drain", cmd_drain,
	  "  drain WORKLOAD | --all         move the workload (every one but those that opted\n"
	  "                                 out) off this node, each when a healthy peer can\n"
	  "                                 take it; it stays drained until undrain (root)\n" },
	{ "undrain", cmd_undrain,
	  "  undrain WORKLOAD | --all       let it stay here again; a move under way finishes\n" },
	{ "receive", cmd_receive,
	  "  receive begin WORKLOAD --from NODE\n"
	  "  receive end WORKLOAD --from NODE (--pid PID | --domain NAME | --failed)\n"
	  "                                 what a peer's heald asks of this one over SSH around a\n"
	  "                                 move to this node (root; refused while busy or not ok)\n" },
};
#define NCOMMANDS ((int)(sizeof(commands) / sizeof(commands[0])))
/* heald's commands follow this one in the usage (not an index: commands move). */
#define FIRST_HEALD "journal"

static const char usage_tail[] =
"Exit codes: 0 done, 1 failed, 2 usage, 3 heald is not running (heald's commands);\n"
	"status --test: 0 ok, 1 degraded, 2 failing or failed, 3 heald is not running.\n"
	"--json output carries \"schema\": " HEAL_SCHEMA_STR " (Documentation/heald.md).\n"
	"DEV is healblkN, /dev/healblkN or N; sectors are 512 bytes of the data area.\n";

static void print_usage(FILE *f)
{
	int i;

	fprintf(f, "usage: healctl [--json] COMMAND ...   (healctl COMMAND --help: one command;\n"
		"       healctl --version)\n");
	for (i = 0; i < NCOMMANDS; i++) {
		if (!strcmp(commands[i].name, FIRST_HEALD))
			fprintf(f, "heald (its socket: $HEAL_SOCKET, default " HEALD_SOCKET_DEFAULT "):\n");
		fputs(commands[i].help, f);
	}
	fputs(usage_tail, f);
}

int usage(void)
{
	print_usage(stderr);
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

int ctl_open(struct healctl *ctl, bool quiet)
{
	int ret;

	if (ctl->nl.sk)
		return 0;
	ret = hb_nl_open(&ctl->nl);
	if (ret == -ENOENT && !quiet)
		hb_err("the healblk module is not loaded (modprobe healblk or insmod healblk.ko)");
	else if (ret && ret != -ENOENT)
		hb_err("cannot talk to the kernel over generic netlink: %s", strerror(-ret));
	return ret;
}

struct nl_msg *ctl_msg(struct healctl *ctl, uint8_t cmd, int flags)
{
	/* Nothing can be done without the kernel: the error is printed, exit 1. */
	if (ctl_open(ctl, false))
		exit(1);
	return hb_nl_msg(&ctl->nl, cmd, flags);
}

int main(int argc, char **argv)
{
	struct healctl ctl = { 0 };
	bool help = false;
	int i, j, n;

	/* --json and --help may stand anywhere; every other argument keeps its place. */
	for (i = 1, j = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			ctl.json = true;
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			help = true;
		else if (!strcmp(argv[i], "--version") && i == 1) {
			printf("healctl %s (commit %s)\n", HEAL_VERSION, HEAL_COMMIT);
			return 0;
		}
		else
			argv[j++] = argv[i];
	}
	argc = j;
	if (argc < 2 && help) {
		print_usage(stdout);
		return 0;
	}
	if (argc < 2)
		return usage();

	for (i = 0; i < NCOMMANDS; i++)
		if (!strcmp(argv[1], commands[i].name))
			break;
	if (i == NCOMMANDS) {
		hb_err("unknown command '%s'", argv[1]);
		return usage();
	}
	if (help) {
		printf("usage: healctl [--json] COMMAND ...\n%s%s", commands[i].help, usage_tail);
		return 0;
	}
	/*
	 * The kernel is opened by the command when it first needs it
	 * (ctl_msg, ctl_open): its arguments are checked by then, so a
	 * usage error is exit 2 whether the module is loaded or not.
	 */
	n = commands[i].fn(&ctl, argc - 2, argv + 2);
	hb_nl_close(&ctl.nl);
	return n;
}
