// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "hb_arrays.h"
#include "hb_parse.h"
#include "hb_sb.h"

static bool is_name(const char *v)
{
	return *v && *v != '-' && *v != '.' &&
	       strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") ==
	       strlen(v);
}

int hb_array_section(struct hb_arrays *as, const char *s, int line, char *why, size_t wlen)
{
	char name[64], extra;
	int i;

	if (sscanf(s, "[array %63[^] \t] %c", name, &extra) != 2 || extra != ']' ||
	    !is_name(name) || strlen(name) >= sizeof(as->a[0].name))
		return snprintf(why, wlen, "bad section '%s': expected [array NAME] (letters, digits, _ . -; "
				"not starting with - or .; at most 31)", s), -1;
	for (i = 0; i < as->n; i++)
		if (!strcmp(as->a[i].name, name))
			return snprintf(why, wlen, "array '%s' given twice (first at line %d)", name,
					as->a[i].line), -1;
	if (as->n == HB_MAX_ARRAYS)
		return snprintf(why, wlen, "more than %d arrays", HB_MAX_ARRAYS), -1;
	memset(&as->a[as->n], 0, sizeof(as->a[0]));
	memcpy(as->a[as->n].name, name, strlen(name) + 1);	/* its length checked above */
	as->a[as->n].line = line;
	as->n++;
	return 0;
}

int hb_array_key(struct hb_arrays *as, const char *key, const char *val, char *why, size_t wlen)
{
	struct hb_array *a = &as->a[as->n - 1];

	if (strcmp(key, "uuid"))
		return snprintf(why, wlen, "[array %s] unknown key '%s' (uuid)", a->name, key), -1;
	if (hb_uuid_parse(val, a->uuid))
		return snprintf(why, wlen, "[array %s] uuid: '%s' is not a UUID (healctl examine DISK shows it)",
				a->name, val), -1;
	a->has_uuid = true;
	return 0;
}

int hb_auto_parse(const char *val, enum hb_auto *out, char *why, size_t wlen)
{
	if (!strcmp(val, "listed"))
		*out = HB_AUTO_LISTED;
	else if (!strcmp(val, "all"))
		*out = HB_AUTO_ALL;
	else if (!strcmp(val, "none"))
		*out = HB_AUTO_NONE;
	else
		return snprintf(why, wlen, "'%s' is not listed, all or none", val), -1;
	return 0;
}

const char *hb_auto_name(enum hb_auto a)
{
	return a == HB_AUTO_ALL ? "all" : a == HB_AUTO_NONE ? "none" : "listed";
}

int hb_arrays_check(const struct hb_arrays *as, const char *file, char *why, size_t wlen)
{
	int i, j;

	for (i = 0; i < as->n; i++) {
		if (!as->a[i].has_uuid)
			return snprintf(why, wlen, "%s:%d: [array %s] needs a uuid", file, as->a[i].line,
					as->a[i].name), -1;
		for (j = 0; j < i; j++)
			if (!memcmp(as->a[i].uuid, as->a[j].uuid, 16))
				return snprintf(why, wlen, "%s:%d: [array %s] has the uuid of array %s",
						file, as->a[i].line, as->a[i].name, as->a[j].name), -1;
	}
	return 0;
}

int hb_arrays_load(struct hb_arrays *as, const char *path, char *err, size_t errlen)
{
	enum { TOP, ARRAY, OTHER } where = TOP;
	char line[512], why[200], *s, *eq, *hash;
	int lineno = 0, ret = 0;
	FILE *f;

	memset(as, 0, sizeof(*as));
	f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		s = hb_trim(line);
		if (!*s)
			continue;
		if (*s == '[') {
			if (strncmp(s, "[array", 6) || !isspace((unsigned char)s[6])) {
				where = OTHER;
				continue;
			}
			where = ARRAY;
			if (hb_array_section(as, s, lineno, why, sizeof(why)))
				goto bad;
			continue;
		}
		eq = strchr(s, '=');
		if (!eq || where == OTHER)
			continue;	/* heald --check-config reports what is wrong there */
		*eq = '\0';
		if (where == ARRAY) {
			if (hb_array_key(as, hb_trim(s), hb_trim(eq + 1), why, sizeof(why)))
				goto bad;
		} else if (!strcmp(hb_trim(s), "auto_assemble")) {
			if (hb_auto_parse(hb_trim(eq + 1), &as->autoasm, why, sizeof(why)))
				goto bad;
		}
	}
	fclose(f);
	if (hb_arrays_check(as, path, err, errlen))
		return -EINVAL;
	return ret;
bad:
	fclose(f);
	snprintf(err, errlen, "%s:%d: %s", path, lineno, why);
	return -EINVAL;
}

const struct hb_array *hb_array_find(const struct hb_arrays *as, const uint8_t *uuid)
{
	int i;

	for (i = 0; i < as->n; i++)
		if (as->a[i].has_uuid && !memcmp(as->a[i].uuid, uuid, 16))
			return &as->a[i];
	return NULL;
}

bool hb_array_expected(const struct hb_arrays *as, const uint8_t *uuid)
{
	if (as->autoasm == HB_AUTO_NONE)
		return false;
	return as->autoasm == HB_AUTO_ALL || hb_array_find(as, uuid);
}
