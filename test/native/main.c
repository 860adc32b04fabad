// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - runs every native test case, TAP output
 *
 *   gdl_test            all cases
 *   gdl_test NAME...    only cases whose name contains one of NAME
 */
#include <stdlib.h>
#include <string.h>
#include "tap.h"
#include "../gdl_tap.h"

int tap_case_failures;

extern const struct tap_case api_cases[];
extern const struct tap_case rtree_cases[];
extern const struct tap_case fault_cases[];
extern const struct tap_case concurrency_cases[];
extern const struct tap_case listing_cases[];
extern const struct tap_case events_cases[];
extern const struct tap_case harden_cases[];

static const struct tap_case *const suites[] = {
	api_cases, rtree_cases, fault_cases, concurrency_cases,
	listing_cases, events_cases, harden_cases,
};

static int selected(const char *name, int argc, char **argv)
{
	int i;

	if (argc < 2)
		return 1;
	for (i = 1; i < argc; i++)
		if (strstr(name, argv[i]))
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	int n = 0;
	size_t s;
	const struct tap_case *t;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (s = 0; s < sizeof(suites) / sizeof(suites[0]); s++)
		for (t = suites[s]; t->name; t++)
			n += selected(t->name, argc, argv);
	printf("TAP version 13\n1..%d\n", n);
	n = 0;
	for (s = 0; s < sizeof(suites) / sizeof(suites[0]); s++) {
		for (t = suites[s]; t->name; t++) {
			if (!selected(t->name, argc, argv))
				continue;
			tap_case_failures = 0;
			t->fn();
			if (tap_case_failures)
				tap_not_ok(t->name, "%d expectation(s) failed (above)", tap_case_failures);
			else
				tap_ok("%s", t->name);
		}
	}
	tap_summary();
	return tap_exit() ? EXIT_FAILURE : EXIT_SUCCESS;
}
