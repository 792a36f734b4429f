// SPDX-License-Identifier: GPL-2.0
/*
 * healblk: module parameters, init and exit.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include "healblk.h"

bool g_fault_injection;
module_param_named(fault_injection, g_fault_injection, bool, 0444);
MODULE_PARM_DESC(fault_injection,
		 "Allow fault injection rules to be set over netlink. Default: false");

static int __init healblk_init(void)
{
	int ret;

	ret = hb_dev_init();
	if (ret)
		return ret;

	ret = hb_nl_init();
	if (ret)
		goto err_dev;

	pr_info("loaded%s\n", g_fault_injection ? " (fault injection allowed)" : "");
	return 0;

err_dev:
	hb_dev_exit();
	return ret;
}

static void __exit healblk_exit(void)
{
	/* No new requests first, then no devices. */
	hb_nl_exit();
	hb_dev_destroy_all();
	hb_dev_exit();
	pr_info("unloaded\n");
}

module_init(healblk_init);
module_exit(healblk_exit);

MODULE_AUTHOR("heal developers");
MODULE_DESCRIPTION("Self-healing mirrored block device");
MODULE_LICENSE("GPL");
