// SPDX-License-Identifier: GPL-2.0
/*
 * Which hooks may run (hooks.h): pure checks of a name and a stat, apart
 * from hooks.c so that the unit tests call them directly.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include "hooks.h"

const char *hook_name_bad(const char *name)
{
	static const char *const suffixes[] = { "~", ".dpkg-old", ".dpkg-new", ".dpkg-dist",
						".dpkg-tmp", ".ucf-old", ".ucf-new", ".ucf-dist",
						".rpmnew", ".rpmsave", ".swp" };
	size_t i, len = strlen(name);

	if (!len || name[0] == '.')
		return "a hidden file";
	if (strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.") != len)
		return "a name of other than letters, digits, '_', '-' and '.'";
	for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		size_t sl = strlen(suffixes[i]);

		if (len >= sl && !strcmp(name + len - sl, suffixes[i]))
			return "a backup or package manager's file";
	}
	return NULL;
}

const char *hook_stat_bad(const struct stat *st)
{
	if (!S_ISREG(st->st_mode))
		return "not a regular file";
	if (st->st_uid != 0)
		return "not owned by root";
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return "writable by group or others";
	if (!(st->st_mode & S_IXUSR))
		return "not executable";
	return NULL;
}

const char *hooks_dir_bad(const struct stat *st)
{
	if (!S_ISDIR(st->st_mode))
		return "not a directory";
	if (st->st_uid != 0)
		return "not owned by root";
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return "writable by group or others";
	return NULL;
}

const char *hook_dir_stat_bad(const struct stat *st)
{
	if (!S_ISDIR(st->st_mode))
		return "not a directory";
	if (st->st_uid != 0)
		return "not owned by root";
	/* Sticky (/tmp): others may add names, not replace root's. */
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) && !(st->st_mode & S_ISVTX))
		return "writable by group or others";
	return NULL;
}

const char *hook_dirs_bad(const char *real, char *at, size_t atlen)
{
	char buf[PATH_MAX], *dir;
	const char *bad;
	struct stat st;

	if (real[0] != '/' || snprintf(buf, sizeof(buf), "%s", real) >= (int)sizeof(buf)) {
		snprintf(at, atlen, "%s", real);
		return "not an absolute path";
	}
	dir = buf;
	do {
		dir = dirname(dir);
		if (lstat(dir, &st) < 0)
			bad = strerror(errno);
		else
			bad = hook_dir_stat_bad(&st);
		if (bad) {
			snprintf(at, atlen, "%s", dir);
			return bad;
		}
	} while (strcmp(dir, "/"));
	return NULL;
}
