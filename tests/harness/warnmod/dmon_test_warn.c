// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only module for the VM harness self-test: loading it triggers a
 * kernel WARN, which the harness must report as a failure.  Never installed.
 */
#include <linux/bug.h>
#include <linux/module.h>

static int __init dmon_test_warn_init(void)
{
	WARN(1, "dmon_test_warn: deliberate warning for the harness self-test\n");
	return 0;
}

static void __exit dmon_test_warn_exit(void)
{
}

module_init(dmon_test_warn_init);
module_exit(dmon_test_warn_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Harness self-test: triggers a WARN when loaded");
