/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gdl_kshim.h - just enough of the kernel for kmod/gdl_control.c to build
 * in userspace, so fuzz_proc_parsers runs the module's own parser code
 *
 * The files in linux/ beside this one include it.  Each helper follows the
 * kernel's definition where the parser relies on it: <linux/ctype.h>
 * classifies Latin-1 (0xa0-0xff printable), kstrtou64() refuses empty
 * strings and overflow (-ERANGE).
 */
#ifndef GDL_KSHIM_H
#define GDL_KSHIM_H

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include "gdl_env_user.h"

#ifndef KBUILD_MODNAME
#define KBUILD_MODNAME "gpu_dma_lock"
#endif
#define U32_MAX		((u32)~0u)
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
/*
 * Silent: a fuzzer must not print per input.  (Not format-checked: u64 is
 * unsigned long here and unsigned long long in the kernel's %llu.)
 */
#define pr_info(fmt, ...)	do { } while (0)

/* <linux/ctype.h>, on the byte value as the kernel's table does */
static inline int gdl_k_isdigit(char c)
{
	return c >= '0' && c <= '9';
}

static inline int gdl_k_isxdigit(char c)
{
	return gdl_k_isdigit(c) || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

static inline int gdl_k_isprint(char c)
{
	unsigned char u = (unsigned char)c;

	return (u >= 0x20 && u <= 0x7e) || u >= 0xa0;
}
#define isdigit(c)	gdl_k_isdigit(c)
#define isxdigit(c)	gdl_k_isxdigit(c)
#define isprint(c)	gdl_k_isprint(c)

/* <linux/kstrtox.h>: an optional "0x" for base 16 and one trailing '\n'. */
static inline int kstrtou64(const char *s, unsigned int base, u64 *res)
{
	u64 v = 0;
	int n = 0;

	if (base == 16 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	for (; *s && *s != '\n'; s++, n++) {
		unsigned int d;

		if (*s >= '0' && *s <= '9')
			d = (unsigned int)(*s - '0');
		else if ((*s | 0x20) >= 'a' && (*s | 0x20) <= 'f')
			d = (unsigned int)((*s | 0x20) - 'a' + 10);
		else
			return -EINVAL;
		if (d >= base)
			return -EINVAL;
		if (__builtin_mul_overflow(v, base, &v) ||
		    __builtin_add_overflow(v, d, &v))
			return -ERANGE;
	}
	if (!n || (*s == '\n' && s[1]))
		return -EINVAL;
	*res = v;
	return 0;
}

/* <linux/mutex.h> */
#define DEFINE_MUTEX(name)	pthread_mutex_t name = PTHREAD_MUTEX_INITIALIZER
#define mutex_lock(m)		pthread_mutex_lock(m)
#define mutex_unlock(m)		pthread_mutex_unlock(m)

/* <linux/compiler.h>, <linux/jump_label.h>: as gdl_identity.h uses them */
#ifndef __always_inline		/* glibc's <sys/cdefs.h> has one */
#define __always_inline		inline __attribute__((always_inline))
#endif
#define __user
struct static_key_false {
	int enabled;
};
#define DECLARE_STATIC_KEY_FALSE(name)	extern struct static_key_false name
#define static_branch_unlikely(k)	unlikely((k)->enabled)

/* <linux/fs.h>, <linux/proc_fs.h>: only named, never used, in headers */
struct file_operations;
struct proc_ops;
struct inode;
struct file;

#endif /* GDL_KSHIM_H */
