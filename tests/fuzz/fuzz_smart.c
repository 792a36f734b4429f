// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for heald's reading of smartctl --json (smart_parse.c):
 * another program's output, about a disk's firmware, that may be anything.
 * Each input is parsed, judged and turned into journal evidence.  The code
 * under test is included whole, so that tests/fuzz/Makefile's wildcard
 * rule builds it; by hand, from the top of the tree:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
 *     -D_GNU_SOURCE -Iuserspace/heald $(pkg-config --cflags json-c) tests/fuzz/fuzz_smart.c \
 *     $(pkg-config --libs json-c) -o build/fuzz/fuzz_smart
 *   build/fuzz/fuzz_smart -max_total_time=60 NEW_DIR tests/fuzz/corpus/smart
 */
#include <stdint.h>
#include <string.h>
#include <json-c/json.h>
#include "../../userspace/heald/smart_parse.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smart_health h;
	struct json_object *e;
	char err[160], why[256];

	if (smart_parse((const char *)data, size, &h, err, sizeof(err)))
		return 0;
	smart_assess(&h, why, sizeof(why));
	e = smart_evidence("sda", &h);
	json_object_to_json_string(e);
	json_object_put(e);
	return 0;
}
