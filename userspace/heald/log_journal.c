// SPDX-License-Identifier: GPL-2.0
/*
 * heald: log lines about a device, a leg or a decision carry journal
 * fields as well (DEVICE=healblk0, LEG=1, DECISION_ID=7, ENTRY_ID=7), so
 * that `journalctl DEVICE=healblk0` or `journalctl DECISION_ID=7` finds
 * them; `healctl why 7` holds the evidence.  Without a journal (heald in
 * a terminal, a node with plain syslog) the line goes to syslog as hlog's.
 *
 * Priorities say how near data is to being lost (journalctl -p crit shows
 * them, and syslog forwards them by priority):
 *   LOG_ALERT  data is being lost now: an error reached the file system,
 *              or the only leg in sync is failing;
 *   LOG_CRIT   one more failure loses data: a device of two or more legs
 *              is down to one in sync;
 *   LOG_WARNING a leg is failing while another is in sync (heald acts).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>
#include "heald.h"

void heald_logj(int prio, const char *dev, int leg, uint64_t decision, uint64_t entry,
		const char *fmt, ...)
{
	char msg[600], f[7][608];
	struct iovec iov[7];
	va_list ap;
	int n = 0, i;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (heald_log_stderr)
		fprintf(stderr, "heald: %s\n", msg);
	snprintf(f[n++], sizeof(f[0]), "MESSAGE=%s", msg);
	snprintf(f[n++], sizeof(f[0]), "PRIORITY=%d", prio);
	snprintf(f[n++], sizeof(f[0]), "SYSLOG_IDENTIFIER=heald");
	if (dev)
		snprintf(f[n++], sizeof(f[0]), "DEVICE=%.60s", dev);
	if (leg >= 0)
		snprintf(f[n++], sizeof(f[0]), "LEG=%d", leg);
	if (decision)
		snprintf(f[n++], sizeof(f[0]), "DECISION_ID=%llu", (unsigned long long)decision);
	if (entry)
		snprintf(f[n++], sizeof(f[0]), "ENTRY_ID=%llu", (unsigned long long)entry);
	for (i = 0; i < n; i++) {
		iov[i].iov_base = f[i];
		iov[i].iov_len = strlen(f[i]);
	}
	/* No journal (its socket absent, or heald outside systemd): syslog. */
	if (sd_journal_sendv(iov, n) < 0)
		syslog(prio, "%s", msg);
}
