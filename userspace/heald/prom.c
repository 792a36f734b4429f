// SPDX-License-Identifier: GPL-2.0
#include "prom.h"

void prom_histogram_log2us(prom_put_fn put, void *b, const char *name, const char *labels,
			   const uint64_t *slots, int nslots)
{
	const char *sep = labels && *labels ? "," : "";
	uint64_t cum = 0;
	double sum = 0;
	int i;

	if (!labels)
		labels = "";
	for (i = 0; i < nslots; i++) {
		cum += slots[i];
		sum += (double)slots[i] * (i ? 1.5 * (double)(1ull << i) : 1.0) / 1e6;
		if (i < nslots - 1)
			put(b, "%s_bucket{%s%sle=\"%.9g\"} %llu\n", name, labels, sep,
			    (double)(2ull << i) / 1e6, (unsigned long long)cum);
	}
	put(b, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, sep, (unsigned long long)cum);
	put(b, "%s_sum{%s} %.6f\n", name, labels, sum);
	put(b, "%s_count{%s} %llu\n", name, labels, (unsigned long long)cum);
}

void prom_state_set(prom_put_fn put, void *b, const char *name, const char *labels,
		    const char *label, const char *const *values, int n, int cur)
{
	const char *sep = labels && *labels ? "," : "";
	int i;

	for (i = 0; i < n; i++)
		put(b, "%s{%s%s%s=\"%s\"} %d\n", name, labels ? labels : "", sep, label, values[i],
		    i == cur);
}
