#!/usr/bin/env python3
"""The report half of scripts/kernel-trace.sh: a raw trace (trace_gdb.py)
symbolized with the kernel's and the module's symbols, as instructions per
ioctl and where they go, function by function (exclusive counts).

  report.py TRACE KALLSYMS CASE_LOG [--top N]
"""
import bisect
import re
import sys


def load_symbols(kallsyms):
    """Text symbols of the guest's /proc/kallsyms; the module's marked."""
    syms = {}
    with open(kallsyms) as f:
        for line in f:
            parts = line.split()
            if len(parts) < 3 or parts[1] not in "tTwW":
                continue
            name = parts[2] + (" [gdl]" if parts[3:] == ["[gpu_dma_lock]"] else "")
            syms[int(parts[0], 16)] = name
    starts = sorted(syms)
    return starts, [syms[s] for s in starts]


def main():
    args = sys.argv[1:]
    top = 25
    if "--top" in args:
        i = args.index("--top")
        top = int(args[i + 1])
        del args[i:i + 2]
    trace, kallsyms, case_log = args
    starts, names = load_symbols(kallsyms)
    row_names = {}
    with open(case_log) as f:
        for line in f:
            m = re.match(r"# traced (\d+) (\S+)", line)
            if m:
                row_names[int(m.group(1))] = m.group(2)

    calls = []  # (row, header, [pc...])
    with open(trace) as f:
        for line in f:
            if line.startswith("ioctl "):
                calls.append((int(line.split()[1]), line.strip(), []))
            elif calls:
                calls[-1][2].append(int(line, 16))

    by_row = {}
    for row, header, pcs in calls:
        by_row.setdefault(row, []).append((header, pcs))
    for row in sorted(by_row):
        print("## %s" % row_names.get(row, "row %d" % row))
        for header, pcs in by_row[row]:
            counts = {}
            for pc in pcs:
                i = bisect.bisect_right(starts, pc) - 1
                name = names[i] if i >= 0 else "?"
                counts[name] = counts.get(name, 0) + 1
            print("%s: %d instructions" % (header.split(" ", 2)[2], len(pcs)))
            for name, n in sorted(counts.items(), key=lambda kv: -kv[1])[:top]:
                print("  %6d  %s" % (n, name))
        print()


if __name__ == "__main__":
    main()
