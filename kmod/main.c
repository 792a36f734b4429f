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

unsigned int g_fail_errors = 10;
module_param_named(fail_errors, g_fail_errors, uint, 0444);
MODULE_PARM_DESC(fail_errors,
		 "New devices fail a leg at this many I/O errors within fail_window seconds (0: never). Default: 10");

unsigned int g_fail_window = 600;
module_param_named(fail_window, g_fail_window, uint, 0444);
MODULE_PARM_DESC(fail_window, "Seconds over which fail_errors counts. Default: 600");

bool g_auto_spare = true;
module_param_named(auto_spare, g_auto_spare, bool, 0444);
MODULE_PARM_DESC(auto_spare,
		 "New devices put a spare in the place of a failed leg by themselves. Default: true");

unsigned int g_sync_min_kbs = 10240;
module_param_named(sync_min_kbs, g_sync_min_kbs, uint, 0444);
MODULE_PARM_DESC(sync_min_kbs,
		 "Rebuild and scrub rate of new devices while other I/O runs, KiB/s. Default: 10240");

unsigned int g_sync_max_kbs;
module_param_named(sync_max_kbs, g_sync_max_kbs, uint, 0444);
MODULE_PARM_DESC(sync_max_kbs,
		 "Rebuild and scrub rate of new devices when idle, KiB/s (0: unlimited). Default: 0");

static int __init healblk_init(void)
{
	int ret;

	if (g_fail_errors > HEALBLK_FAIL_ERRORS_MAX || !g_fail_window ||
	    g_fail_window > HEALBLK_FAIL_WINDOW_MAX) {
		pr_err("fail_errors must be 0 to %d and fail_window 1 to %d seconds\n",
		       HEALBLK_FAIL_ERRORS_MAX, HEALBLK_FAIL_WINDOW_MAX);
		return -EINVAL;
	}
	if (!g_sync_min_kbs || (g_sync_max_kbs && g_sync_min_kbs > g_sync_max_kbs)) {
		pr_err("sync_min_kbs must be at least 1 and at most sync_max_kbs (0: unlimited)\n");
		return -EINVAL;
	}
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
	/*
	 * Devices first, while their last events can still be sent; no new
	 * device after them (hb_dev_closing()), then no more requests.
	 */
	hb_dev_destroy_all();
	hb_nl_exit();
	hb_dev_exit();
	pr_info("unloaded\n");
}

module_init(healblk_init);
module_exit(healblk_exit);

MODULE_AUTHOR("heal developers");
MODULE_DESCRIPTION("Self-healing mirrored block device");
MODULE_LICENSE("GPL");
