# The gdb half of scripts/kernel-trace.sh, run as gdb -batch -x trace_gdb.py
# with the symbols' addresses in the environment.  Waits for bench_ioctl
# -T's markers (getpgid of MARK + row, MARK - 1 after the row), and between
# them single-steps every ioctl on the tool's descriptors from the syscall
# instruction's entry to the return to user space, one PC per line.
import os

import gdb

MARK = 0x47444C00
TRACE_FD = range(900, 910)
NR_IOCTL = 16
MAX_STEPS = 200000
USER_TOP = 1 << 63


def reg(name):
    return int(gdb.parse_and_eval("$" + name)) & (2**64 - 1)


gdb.execute("set pagination off")
gdb.execute("set confirm off")
gdb.execute("target remote 127.0.0.1:" + os.environ["GDL_TRACE_PORT"])
out = open(os.environ["GDL_TRACE_OUT"], "w")
# From the guest's /proc/kallsyms (it boots with nokaslr).
getpgid = int(os.environ["GDL_TRACE_GETPGID"], 16)
entry = int(os.environ["GDL_TRACE_ENTRY"], 16)
gdb.Breakpoint("*%#x" % getpgid, internal=True)
on_entry = gdb.Breakpoint("*%#x" % entry, internal=True)
on_entry.enabled = False
open(os.environ["GDL_TRACE_READY"], "w").close()
row = None
while True:
    try:
        gdb.execute("continue", to_string=True)
    except gdb.error:
        break  # the guest powered off
    pc = reg("pc")
    if pc == getpgid:
        # __x64_sys_getpgid(const struct pt_regs *): pid is regs->di.
        pid = int(gdb.parse_and_eval("*(long *)(%d + 0x70)" % reg("rdi")))
        if pid == MARK - 1:
            row, on_entry.enabled = None, False
        elif MARK <= pid < MARK + 256:
            row, on_entry.enabled = pid - MARK, True
        continue
    if pc != entry or row is None or reg("rax") != NR_IOCTL or reg("rdi") not in TRACE_FD:
        continue
    out.write("ioctl %d fd %d cmd %#x\n" % (row, reg("rdi"), reg("rsi")))
    for _ in range(MAX_STEPS):
        out.write("%x\n" % pc)
        gdb.execute("stepi", to_string=True)
        pc = reg("pc")
        if pc < USER_TOP:
            break
    out.flush()
out.close()
