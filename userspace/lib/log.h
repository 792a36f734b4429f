/* SPDX-License-Identifier: GPL-2.0 */
/* One way to report an error: "prog: message" on stderr. */
#ifndef HB_LOG_H
#define HB_LOG_H

#include <stdio.h>

extern const char *hb_prog;

#define hb_err(fmt, ...) fprintf(stderr, "%s: " fmt "\n", hb_prog, ##__VA_ARGS__)

#endif
