/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tap.h - cases and expectations of the native tests
 *
 * Each case is one function; EXPECT*() record failures (with the place and
 * the values) and carry on, so one run shows every broken assertion.  The
 * runner (main.c) prints one line per case in the project's TAP format
 * (../gdl_tap.h) and ends with "N passed, N failed".
 */
#ifndef GDL_NATIVE_TAP_H
#define GDL_NATIVE_TAP_H

#include <stdio.h>

struct tap_case {
	const char *name;
	void (*fn)(void);
};

extern int tap_case_failures;

#define EXPECT(cond) do {						\
	if (!(cond)) {							\
		tap_case_failures++;					\
		printf("#   %s:%d: EXPECT(%s)\n", __FILE__, __LINE__,	\
		       #cond);						\
	}								\
} while (0)

#define EXPECT_EQ(a, b) do {						\
	long long _a = (long long)(a), _b = (long long)(b);		\
	if (_a != _b) {							\
		tap_case_failures++;					\
		printf("#   %s:%d: EXPECT_EQ(%s, %s): %lld != %lld\n",	\
		       __FILE__, __LINE__, #a, #b, _a, _b);		\
	}								\
} while (0)

/* Stops the case (e.g. a setup step failed and nothing else makes sense). */
#define REQUIRE(cond) do {						\
	if (!(cond)) {							\
		tap_case_failures++;					\
		printf("#   %s:%d: REQUIRE(%s)\n", __FILE__, __LINE__,	\
		       #cond);						\
		return;							\
	}								\
} while (0)

#define TAP_END { NULL, NULL }

#endif /* GDL_NATIVE_TAP_H */
