// SPDX-License-Identifier: GPL-2.0
/*
 * assemble LEG... | --scan: bring devices back from their legs' superblocks
 * after a reboot or a module reload.  --scan reads the start of every block
 * device, groups the legs by device UUID, and asks the kernel to assemble
 * each group; the kernel checks every superblock itself.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "../lib/log.h"
#include "healctl.h"

#define SCAN_MAX 64

struct scanned {
	char path[300];
	uint8_t dev_uuid[16];
};

/* A superblock's magic in either copy: its device UUID into @uuid. */
static bool read_sb(const char *path, uint8_t *uuid)
{
	struct healblk_sb sb;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int copy;
	bool found = false;

	if (fd < 0)
		return false;
	for (copy = 0; copy < 2 && !found; copy++) {
		if (pread(fd, &sb, sizeof(sb), (off_t)copy * HEALBLK_SB_COPY_SECTORS * 512) !=
		    (ssize_t)sizeof(sb))
			break;
		if (!memcmp(sb.magic, HEALBLK_SB_MAGIC, sizeof(sb.magic))) {
			memcpy(uuid, sb.dev_uuid, sizeof(sb.dev_uuid));
			found = true;
		}
	}
	close(fd);
	return found;
}

/* Held by a driver (a running healblk, md, dm): not ours to take. */
static bool held(const char *name)
{
	char path[300];
	struct dirent *d;
	DIR *dir;
	bool any = false;

	snprintf(path, sizeof(path), "/sys/class/block/%s/holders", name);
	dir = opendir(path);
	if (!dir)
		return false;
	while ((d = readdir(dir)))
		if (d->d_name[0] != '.')
			any = true;
	closedir(dir);
	return any;
}

static int scan(struct healctl *ctl)
{
	static struct scanned found[SCAN_MAX];
	int n = 0, i, j, failed = 0, groups = 0;
	struct dirent *d;
	DIR *dir = opendir("/sys/class/block");

	if (!dir) {
		hb_err("assemble --scan: /sys/class/block: %s", strerror(errno));
		return 1;
	}
	while ((d = readdir(dir)) && n < SCAN_MAX) {
		if (d->d_name[0] == '.' || !strncmp(d->d_name, "healblk", 7) || held(d->d_name))
			continue;
		snprintf(found[n].path, sizeof(found[n].path), "/dev/%s", d->d_name);
		if (read_sb(found[n].path, found[n].dev_uuid))
			n++;
	}
	closedir(dir);

	for (i = 0; i < n; i++) {
		char *group[HEALBLK_MAX_LEGS];
		int k = 0;

		if (!found[i].path[0])
			continue;
		for (j = i; j < n; j++) {
			if (found[j].path[0] &&
			    !memcmp(found[j].dev_uuid, found[i].dev_uuid, 16) &&
			    k < HEALBLK_MAX_LEGS) {
				group[k++] = strdup(found[j].path);
				if (j != i)
					found[j].path[0] = 0;
			}
		}
		found[i].path[0] = 0;
		groups++;
		if (legs_request(ctl, HEALBLK_CMD_ASSEMBLE, "assemble", k, group))
			failed++;
		while (k--)
			free(group[k]);
	}
	if (!groups)
		fprintf(stderr, "healctl: assemble --scan: no healblk legs found\n");
	return failed ? 1 : 0;
}

int cmd_assemble(struct healctl *ctl, int argc, char **argv)
{
	if (argc == 1 && !strcmp(argv[0], "--scan"))
		return scan(ctl);
	return legs_request(ctl, HEALBLK_CMD_ASSEMBLE, "assemble", argc, argv);
}
