/* SPDX-License-Identifier: GPL-2.0 */
/*
 * trace_marks.h - how an in-guest tool shows scripts/kernel-trace.sh which
 * ioctls to single-step: getpgid(TRACE_MARK + row) before a row's traced
 * call, getpgid(TRACE_MARK - 1) after it, the calls made on descriptors
 * TRACE_FD to TRACE_FD + 9.  bench/kernel/trace/trace_gdb.py (MARK,
 * TRACE_FD) reads the same numbers.
 */
#ifndef TRACE_MARKS_H
#define TRACE_MARKS_H

#define TRACE_MARK	0x47444c00
#define TRACE_FD	900

#endif /* TRACE_MARKS_H */
