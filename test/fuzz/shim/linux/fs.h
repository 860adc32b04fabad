/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in: see ../gdl_kshim.h */
#include "../gdl_kshim.h"
