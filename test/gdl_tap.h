/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gdl_tap.h - the one TAP line format of the project's C test programs
 *
 *   ok - what
 *   not ok - what: why
 *   N passed, N failed          (tap_summary, where a program ends with one)
 *
 * the format test/kernel/lib.sh, test/vm/judge.sh and the guest runner count.
 * Used by the in-guest tools (test/kernel/tools/vm_tool.h), the native core
 * tests' runner (test/native/main.c) and the interposer's unit test
 * (test/cuda/gdl_cuda_unit.c).  Header-only: every user is one program.
 * Exit status convention: tap_exit() is 0 when every line was "ok", 1 when
 * some was "not ok"; 2 is left for "could not run" (vm_tool.h die()).
 */
#ifndef GDL_TAP_LINES_H
#define GDL_TAP_LINES_H

#include <stdarg.h>
#include <stdio.h>

static int tap_passes, tap_failures;

static inline void __attribute__((format(printf, 1, 2))) tap_ok(const char *fmt, ...)
{
	va_list ap;

	tap_passes++;
	printf("ok - ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* tap_not_ok("what", "why fmt", ...) */
static inline void __attribute__((format(printf, 2, 3)))
tap_not_ok(const char *what, const char *fmt, ...)
{
	va_list ap;

	tap_failures++;
	printf("not ok - %s: ", what);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* Exactly one TAP line for an expectation about two numbers; 1 if equal. */
static inline int tap_eq(const char *what, unsigned long long want, unsigned long long got)
{
	if (want == got) {
		tap_ok("%s (%llu)", what, got);
		return 1;
	}
	tap_not_ok(what, "expected %llu, got %llu", want, got);
	return 0;
}

/* The same for signed values (errnos, results), printed as such. */
static inline int tap_eq_signed(const char *what, long long want, long long got)
{
	if (want == got) {
		tap_ok("%s (%lld)", what, got);
		return 1;
	}
	tap_not_ok(what, "expected %lld, got %lld", want, got);
	return 0;
}

static inline void tap_summary(void)
{
	printf("%d passed, %d failed\n", tap_passes, tap_failures);
}

static inline int tap_exit(void)
{
	return tap_failures ? 1 : 0;
}

#endif /* GDL_TAP_LINES_H */
