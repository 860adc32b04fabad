// SPDX-License-Identifier: GPL-2.0
/*
 * gdl_bench.ko - time gpu_dma_lock_check() from inside the kernel
 *
 * The exported check is what a GPU or RDMA driver would call before mapping;
 * no syscall surrounds it, so the only honest place to time it is here.
 * Userspace (bench_ioctl) writes one request to
 * /sys/kernel/debug/gdl_bench/check:
 *
 *     ITERATIONS AGENT DEVICE ADDR LENGTH MODE [STRIDE SPREAD]
 *
 * the write runs the checks back to back, and a read returns
 *
 *     iterations N total_ns T allowed A result R
 *
 * (R: the last return value, so a caller can see it timed what it meant to).
 * With STRIDE and SPREAD, call k checks ADDR + ((k * 7919) % SPREAD) * STRIDE:
 * a walk over SPREAD ranges in a scattered order, so a lookup in a large
 * tree is not timed with its one path always hot in the cache.
 * Depending on gpu_dma_lock_check makes the loader pin gpu_dma_lock while
 * this module is loaded.
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/uaccess.h>

#include "gpu_dma_lock_kapi.h"

/* Yield the CPU this often: a long run must not trip the soft-lockup watchdog. */
#define GDL_BENCH_CHUNK	4096

static struct dentry *bench_dir;
static DEFINE_MUTEX(bench_lock);	/* one run at a time; guards last_result */
static char last_result[128] = "no run yet\n";

/* 7919 is prime: coprime to any SPREAD not a multiple of it, a full walk. */
#define GDL_BENCH_STEP	7919

static ssize_t bench_run(u64 iterations, u64 agent, u32 device, u64 addr, u64 length,
			 u32 mode, u64 stride, u64 spread)
{
	u64 i, allowed = 0, elapsed = 0, t0, n, slot = 0;
	int ret = 0;

	for (i = 0; i < iterations; i += n) {
		n = min_t(u64, GDL_BENCH_CHUNK, iterations - i);
		t0 = ktime_get_ns();
		for (u64 k = 0; k < n; k++) {
			ret = gpu_dma_lock_check(agent, device, addr + slot * stride, length, mode);
			allowed += ret == 1;
			slot += GDL_BENCH_STEP;
			if (slot >= spread)
				slot %= spread;
		}
		elapsed += ktime_get_ns() - t0;
		cond_resched();
	}
	scnprintf(last_result, sizeof(last_result),
		  "iterations %llu total_ns %llu allowed %llu result %d\n",
		  iterations, elapsed, allowed, ret);
	return 0;
}

static ssize_t check_write(struct file *file, const char __user *ubuf, size_t len,
			   loff_t *ppos)
{
	unsigned long long iterations, agent, addr, length, stride = 0, spread = 1;
	unsigned int device, mode;
	int fields;
	char buf[160];
	ssize_t ret;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	fields = sscanf(buf, "%llu %llu %u %llu %llu %u %llu %llu", &iterations, &agent,
			&device, &addr, &length, &mode, &stride, &spread);
	if ((fields != 6 && fields != 8) || !iterations || !spread)
		return -EINVAL;
	mutex_lock(&bench_lock);
	ret = bench_run(iterations, agent, device, addr, length, mode, stride, spread);
	mutex_unlock(&bench_lock);
	return ret ? ret : len;
}

static ssize_t check_read(struct file *file, char __user *ubuf, size_t len, loff_t *ppos)
{
	ssize_t ret;

	mutex_lock(&bench_lock);
	ret = simple_read_from_buffer(ubuf, len, ppos, last_result, strlen(last_result));
	mutex_unlock(&bench_lock);
	return ret;
}

static const struct file_operations check_fops = {
	.owner = THIS_MODULE,
	.read = check_read,
	.write = check_write,
	.llseek = default_llseek,
};

static int __init gdl_bench_init(void)
{
	bench_dir = debugfs_create_dir("gdl_bench", NULL);
	debugfs_create_file("check", 0600, bench_dir, NULL, &check_fops);
	return 0;
}

static void __exit gdl_bench_exit(void)
{
	debugfs_remove_recursive(bench_dir);
}

module_init(gdl_bench_init);
module_exit(gdl_bench_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Times gpu_dma_lock_check() in the kernel, for bench/kernel");
