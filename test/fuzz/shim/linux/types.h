/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in: the uapi types, then see ../gdl_kshim.h */
#include_next <linux/types.h>
