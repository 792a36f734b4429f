// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for healtop's model: what heald sends it, parsed and
 * printed without a socket.  The input's first line is a status snapshot
 * (as heald answers "status"), the other lines the event stream; then the
 * --once text of the whole model is printed (to /dev/null), so every
 * field's way from JSON to text runs, numbers out of any range included.
 * The code under test is included whole, so that tests/fuzz/Makefile's
 * wildcard rule (json-c only) builds it; by hand, from the top of the tree:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
 *     -D_GNU_SOURCE $(pkg-config --cflags json-c) tests/fuzz/fuzz_tui_model.c \
 *     $(pkg-config --libs json-c) -o build/fuzz/fuzz_tui_model
 *   build/fuzz/fuzz_tui_model -max_total_time=60 NEW_DIR tests/fuzz/corpus/tui_model
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "../../tui/model.c"
#include "../../tui/migration.c"
#include "../../tui/once.c"
#include "../../userspace/lib/heald_client.c"
#include "../../userspace/lib/hb_text.c"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (!freopen("/dev/null", "w", stdout))
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *nl = memchr(data, '\n', size);
	size_t first = nl ? (size_t)(nl - (const char *)data) : size;
	struct json_object *st;
	struct model m;
	char *line;

	if (size > (1 << 20) || model_init(&m, "fuzz"))
		return 0;
	line = strndup((const char *)data, first);
	st = line ? json_tokener_parse(line) : NULL;
	free(line);
	if (st)
		model_take(&m, st);
	if (nl) {
		/* The stream after the snapshot, as model_events() would have read it. */
		m.ev.cap = size - first;
		m.ev.len = size - first - 1;
		m.ev.buf = malloc(m.ev.cap);
		if (m.ev.buf) {
			memcpy(m.ev.buf, nl + 1, m.ev.len);
			model_lines(&m);
		}
	}
	print_model(&m, LOG_MAX);
	model_free(&m);
	return 0;
}
