// SPDX-License-Identifier: GPL-2.0
/*
 * smartctl --json, read and judged: pure (smart.h).  The input is another
 * program's output: every member is looked up with its type checked, and
 * whatever is missing stays unknown (-1).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>
#include "smart.h"

static struct json_object *get(struct json_object *o, const char *key, json_type type)
{
	struct json_object *v;

	return o && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, type) ? v : NULL;
}

static int64_t num(struct json_object *o, const char *key)
{
	struct json_object *v = get(o, key, json_type_int);

	return v ? json_object_get_int64(v) : -1;
}

static void str(char *dst, size_t len, struct json_object *o, const char *key)
{
	struct json_object *v = get(o, key, json_type_string);
	size_t i;

	if (!v || dst[0])
		return;
	snprintf(dst, len, "%s", json_object_get_string(v));
	/* A name from the disk's firmware: printable ASCII only. */
	for (i = 0; dst[i]; i++)
		if ((unsigned char)dst[i] < 0x20 || (unsigned char)dst[i] > 0x7e)
			dst[i] = '?';
}

/* The raw value of ATA attribute @id, or -1. */
static int64_t ata_raw(struct json_object *table, int id)
{
	size_t i;

	for (i = 0; table && i < json_object_array_length(table); i++) {
		struct json_object *a = json_object_array_get_idx(table, i);

		if (num(a, "id") == id)
			return num(get(a, "raw", json_type_object), "value");
	}
	return -1;
}

int smart_parse(const char *json, size_t len, struct smart_health *h, char *err, size_t errlen)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o, *v, *log, *w;
	int ret = 0;

	memset(h, 0, sizeof(*h));
	h->passed = -1;
	h->temperature = h->critical_warning = h->available_spare = h->spare_threshold = -1;
	h->percentage_used = h->media_errors = h->reallocated = h->pending = -1;
	h->offline_uncorrectable = h->grown_defects = h->uncorrected = h->power_on_hours = -1;
	h->exit_status = -1;
	if (!tok || len > (size_t)INT32_MAX) {
		snprintf(err, errlen, "out of memory");
		json_tokener_free(tok);
		return -1;
	}
	o = json_tokener_parse_ex(tok, json, (int)len);
	json_tokener_free(tok);
	if (!json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "smartctl wrote no JSON object");
		json_object_put(o);
		return -1;
	}
	v = get(o, "smartctl", json_type_object);
	h->exit_status = (int)num(v, "exit_status");
	str(h->protocol, sizeof(h->protocol), get(o, "device", json_type_object), "protocol");
	if (!h->protocol[0]) {
		/* Nothing read: its first message says why (no such device, permission). */
		struct json_object *msgs = get(v, "messages", json_type_array);

		const char *msg = msgs && json_object_array_length(msgs) ?
			json_object_get_string(json_object_object_get(json_object_array_get_idx(msgs, 0),
								      "string")) : NULL;

		snprintf(err, errlen, "%s", msg ? msg : "smartctl read no device");
		json_object_put(o);
		return -1;
	}
	str(h->model, sizeof(h->model), o, "model_name");
	str(h->model, sizeof(h->model), o, "scsi_model_name");
	str(h->serial, sizeof(h->serial), o, "serial_number");
	if ((w = get(o, "wwn", json_type_object)) && num(w, "naa") >= 0)
		snprintf(h->wwn, sizeof(h->wwn), "naa.%01llx%06llx%09llx",
			 (unsigned long long)num(w, "naa") & 0xf,
			 (unsigned long long)num(w, "oui") & 0xffffff,
			 (unsigned long long)num(w, "id") & 0xfffffffffULL);
	else if ((w = get(o, "nvme_namespaces", json_type_array)) && json_object_array_length(w) &&
		 (w = get(json_object_array_get_idx(w, 0), "eui64", json_type_object)) &&
		 num(w, "oui") >= 0)
		snprintf(h->wwn, sizeof(h->wwn), "eui.%06llx%010llx",
			 (unsigned long long)num(w, "oui") & 0xffffff,
			 (unsigned long long)num(w, "ext_id") & 0xffffffffffULL);
	else
		str(h->wwn, sizeof(h->wwn), o, "logical_unit_id");
	if ((v = get(get(o, "smart_status", json_type_object), "passed", json_type_boolean)))
		h->passed = json_object_get_boolean(v);
	h->temperature = num(get(o, "temperature", json_type_object), "current");
	h->power_on_hours = num(get(o, "power_on_time", json_type_object), "hours");
	if ((log = get(o, "nvme_smart_health_information_log", json_type_object))) {
		h->critical_warning = num(log, "critical_warning");
		h->available_spare = num(log, "available_spare");
		h->spare_threshold = num(log, "available_spare_threshold");
		h->percentage_used = num(log, "percentage_used");
		h->media_errors = num(log, "media_errors");
		if (h->temperature < 0)
			h->temperature = num(log, "temperature");
		if (h->power_on_hours < 0)
			h->power_on_hours = num(log, "power_on_hours");
	}
	if ((v = get(get(o, "ata_smart_attributes", json_type_object), "table", json_type_array))) {
		h->reallocated = ata_raw(v, 5);
		h->pending = ata_raw(v, 197);
		h->offline_uncorrectable = ata_raw(v, 198);
	}
	h->grown_defects = num(o, "scsi_grown_defect_list");
	h->uncorrected = num(get(get(o, "scsi_error_counter_log", json_type_object), "read",
				 json_type_object), "total_uncorrected_errors");
	json_object_put(o);
	return ret;
}

const char *smart_level_name(enum smart_level l)
{
	static const char *const names[] = { "unknown", "ok", "warning", "failing" };

	return l <= SMART_FAILING ? names[l] : "?";
}

/* Append @what to @why, "; " between; the level rises to @l. */
static void say(char *why, size_t len, enum smart_level *lv, enum smart_level l, const char *what)
{
	size_t n = strlen(why);

	if (l > *lv)
		*lv = l;
	snprintf(why + n, len - n, "%s%s", n ? "; " : "", what);
}

/* NVMe's critical warning bits (NVMe 1.4, figure 194), by name. */
static void cw_names(char *buf, size_t len, int64_t cw)
{
	static const char *const bits[] = { "spare below threshold", "temperature",
					    "reliability degraded", "read-only", "volatile backup failed",
					    "persistent memory read-only" };
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if (cw & (1 << i) && n < len)
			n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? ", " : "", bits[i]);
}

enum smart_level smart_assess(const struct smart_health *h, char *why, size_t len)
{
	enum smart_level lv = SMART_OK;
	int64_t cw = h->critical_warning, bad;
	char w[200], names[128];

	if (len)
		why[0] = '\0';
	if (!h->protocol[0])
		return SMART_UNKNOWN;
	/*
	 * smartctl(8)'s exit bits 0-2: it could not read the disk (command
	 * line, open failed or the disk sleeps, a command failed).  What it
	 * printed then is no verdict: never "ok", never a clear.
	 */
	if (h->exit_status > 0 && (h->exit_status & 0x7)) {
		snprintf(why, len, "smartctl could not read it (exit status 0x%02llx%s%s%s)",
			 (long long)h->exit_status,
			 h->exit_status & 0x1 ? ", bad command line" : "",
			 h->exit_status & 0x2 ? ", open failed or in a low-power mode" : "",
			 h->exit_status & 0x4 ? ", a SMART command failed" : "");
		return SMART_UNKNOWN;
	}
	if (cw > 0 && (cw & ~NVME_CW_TEMPERATURE)) {
		cw_names(names, sizeof(names), cw & ~NVME_CW_TEMPERATURE);
		snprintf(w, sizeof(w), "NVMe critical warning 0x%02llx (%s)", (long long)cw, names);
		say(why, len, &lv, SMART_FAILING, w);
	}
	if (cw > 0 && (cw & NVME_CW_TEMPERATURE)) {
		snprintf(w, sizeof(w), "NVMe temperature warning (%lld C)", (long long)h->temperature);
		say(why, len, &lv, SMART_WARN, w);
	}
	/* NVMe's verdict is its critical warning, judged above bit by bit. */
	if (h->passed == 0 && cw < 0)
		say(why, len, &lv, SMART_FAILING, "SMART overall health self-assessment: FAILED");
	if (h->available_spare >= 0 && h->spare_threshold > 0 && h->available_spare < h->spare_threshold) {
		snprintf(w, sizeof(w), "available spare %lld%% below its threshold %lld%%",
			 (long long)h->available_spare, (long long)h->spare_threshold);
		say(why, len, &lv, SMART_FAILING, w);
	}
	if (h->percentage_used >= SMART_WEAR_WARN) {
		snprintf(w, sizeof(w), "%lld%% of its rated endurance used", (long long)h->percentage_used);
		say(why, len, &lv, SMART_WARN, w);
	}
	if (h->media_errors > 0) {
		snprintf(w, sizeof(w), "%lld media errors", (long long)h->media_errors);
		say(why, len, &lv, SMART_WARN, w);
	}
	if (h->reallocated > 0) {
		snprintf(w, sizeof(w), "%lld reallocated sectors", (long long)h->reallocated);
		say(why, len, &lv, h->reallocated >= SMART_REALLOC_FAILING ? SMART_FAILING : SMART_WARN, w);
	}
	/* Each at most INT64_MAX, as the JSON said: the sum saturates. */
	if (__builtin_add_overflow(h->pending > 0 ? h->pending : 0,
				   h->offline_uncorrectable > 0 ? h->offline_uncorrectable : 0, &bad))
		bad = INT64_MAX;
	if (bad > 0) {
		snprintf(w, sizeof(w), "%lld pending and %lld offline uncorrectable sectors",
			 (long long)(h->pending > 0 ? h->pending : 0),
			 (long long)(h->offline_uncorrectable > 0 ? h->offline_uncorrectable : 0));
		say(why, len, &lv, bad >= SMART_PENDING_FAILING ? SMART_FAILING : SMART_WARN, w);
	}
	if (h->grown_defects > 0) {
		snprintf(w, sizeof(w), "%lld grown defects", (long long)h->grown_defects);
		say(why, len, &lv, h->grown_defects >= SMART_DEFECTS_FAILING ? SMART_FAILING : SMART_WARN, w);
	}
	if (h->uncorrected > 0) {
		snprintf(w, sizeof(w), "%lld uncorrected read errors", (long long)h->uncorrected);
		say(why, len, &lv, SMART_WARN, w);
	}
	/* Exit bits 3 and 4, where nothing above said it already. */
	if (h->exit_status > 0 && (h->exit_status & 0x8) && lv < SMART_FAILING)
		say(why, len, &lv, SMART_FAILING, "SMART status: DISK FAILING (smartctl exit bit 3)");
	if (h->exit_status > 0 && (h->exit_status & 0x10) && lv < SMART_FAILING)
		say(why, len, &lv, SMART_FAILING,
		    "prefail attributes at or below their thresholds (smartctl exit bit 4)");
	return lv;
}

struct json_object *smart_evidence(const char *disk, const struct smart_health *h)
{
	struct json_object *e = json_object_new_object();

#define PUT_NUM(k, v) do { if ((v) >= 0) json_object_object_add(e, k, json_object_new_int64(v)); } while (0)
	json_object_object_add(e, "source", json_object_new_string("smartctl --json"));
	json_object_object_add(e, "disk", json_object_new_string(disk));
	json_object_object_add(e, "serial", json_object_new_string(h->serial));
	json_object_object_add(e, "wwn", json_object_new_string(h->wwn));
	json_object_object_add(e, "model", json_object_new_string(h->model));
	json_object_object_add(e, "protocol", json_object_new_string(h->protocol));
	if (h->passed >= 0)
		json_object_object_add(e, "smart_passed", json_object_new_boolean(h->passed));
	PUT_NUM("critical_warning", h->critical_warning);
	PUT_NUM("temperature_c", h->temperature);
	PUT_NUM("available_spare_pct", h->available_spare);
	PUT_NUM("percentage_used", h->percentage_used);
	PUT_NUM("media_errors", h->media_errors);
	PUT_NUM("reallocated_sectors", h->reallocated);
	PUT_NUM("pending_sectors", h->pending);
	PUT_NUM("offline_uncorrectable", h->offline_uncorrectable);
	PUT_NUM("grown_defects", h->grown_defects);
	PUT_NUM("uncorrected_errors", h->uncorrected);
	PUT_NUM("power_on_hours", h->power_on_hours);
	PUT_NUM("smartctl_exit_status", h->exit_status);
#undef PUT_NUM
	return e;
}
