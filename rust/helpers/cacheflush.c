// SPDX-License-Identifier: GPL-2.0

#include <linux/cacheflush.h>

#ifdef CONFIG_RISCV
__rust_helper void rust_helper_local_flush_icache_all(void)
{
	local_flush_icache_all();
}
#endif
