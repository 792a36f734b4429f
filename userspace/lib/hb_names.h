/* SPDX-License-Identifier: GPL-2.0 */
/* Names of healblk's enums, shared by healctl, heald and healtop. */
#ifndef HB_NAMES_H
#define HB_NAMES_H

#include <stdbool.h>
#include <stdint.h>

const char *hb_dev_state_name(uint32_t state);
const char *hb_leg_state_name(uint32_t state);
const char *hb_op_name(uint32_t op);	/* one HEALBLK_OP_* bit */
const char *hb_sync_kind_name(uint32_t kind);
/* A scrub or a check: reads every leg, counts mismatches, has no target leg. */
bool hb_sync_reads_all(uint32_t kind);
const char *hb_sync_status_name(uint32_t status);
/* "read", "write", "flush", "rw", or a comma list of them: 0 if unknown. */
uint32_t hb_op_mask_parse(const char *s);

#endif
