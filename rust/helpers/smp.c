// SPDX-License-Identifier: GPL-2.0

#include <linux/smp.h>

unsigned int rust_helper_smp_processor_id(void)
{
	return smp_processor_id();
}

#ifdef CONFIG_RISCV
unsigned long rust_helper_cpuid_to_hartid_map(int cpu)
{
	return cpuid_to_hartid_map(cpu);
}
#endif
