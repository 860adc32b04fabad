#!/usr/bin/env python3
# Writes the hand-made seeds of fuzz_core_ops into corpus/core_ops/ (run
# once; the files are committed).  The encoding is core_ops.c's: one set-up
# byte, then an opcode byte and its argument bytes per operation.
import os, sys

SET, REMOVE, ALLOC, FREE, OWNER, GRANT, REVOKE, CHECK, MANY, LIST, FAULT = \
    0, 1, 2, 4, 5, 6, 7, 8, 9, 10, 11

def agent_set(i, quota32, mask): return bytes([SET, i, quota32, mask])
def remove(i): return bytes([REMOVE, i])
# owner o (3: none), persistent p, size = s16 * 16
def alloc(i, dev, s16, o=0, p=0): return bytes([ALLOC, i | dev << 4, s16, o << 2 | p])
def free(k, only=0, checked=0): return bytes([FREE, k, only | (0x80 if checked else 0)])
def owner(o): return bytes([OWNER, o])
def grant(i, dev, mode, start, ln): return bytes([GRANT, i | dev << 4, mode, start, ln])
def revoke(i, dev, mode, start, ln): return bytes([REVOKE, i | dev << 4, mode, start, ln])
def check(i, dev, mode, start, ln): return bytes([CHECK, i | dev << 4, mode, start, ln])
def many(i, entries):  # entries: (dev, mode-index, start, len)
    b = bytes([MANY, i | len(entries) << 4])
    for dev, m, s, l in entries:
        b += bytes([dev | m << 2, s, l])
    return b
def lists(page): return bytes([LIST, 0, page])
def reset(): return bytes([LIST, 1])
def fault(nth, op): return bytes([FAULT, nth - 1]) + op

seeds = {
    'agents': b'\x00' + agent_set(1, 64, 3) + agent_set(2, 0, 1) + agent_set(1, 8, 7)
        + agent_set(3, 1, 8) + agent_set(4, 1, 1) + agent_set(5, 1, 1) + remove(2)
        + agent_set(5, 1, 1) + lists(3) + remove(6) + agent_set(0, 1, 1),
    'alloc-owners': b'\x00' + agent_set(1, 200, 7) + owner(0) + owner(1)
        + alloc(1, 0, 10, 0) + alloc(1, 1, 20, 1) + alloc(1, 2, 30, 0, 1)
        + lists(2) + owner(0) + remove(1) + free(0) + free(0) + remove(1) + lists(1),
    'quota-capacity': b'\x01' + owner(0) + alloc(1, 0, 127, 0) + alloc(1, 0, 1, 0)
        + alloc(2, 1, 255, 0) + alloc(3, 2, 255, 0, 1) + alloc(4, 0, 1, 0)
        + alloc(5, 0, 1, 0) + alloc(0, 0, 1, 0) + alloc(1, 3, 1, 0) + alloc(1, 0, 0, 0)
        + alloc(1, 0, 1, 3) + bytes([ALLOC, 1, 1, 3]) + lists(5) + reset(),
    'grants-low': b'\x00' + agent_set(1, 1, 7) + grant(1, 0, 3, 0, 10) + grant(1, 0, 1, 10, 5)
        + revoke(1, 0, 2, 3, 2) + check(1, 0, 1, 0, 15) + check(1, 0, 2, 0, 4)
        + grant(1, 1, 2, 30, 34) + grant(1, 2, 1, 0, 64) + revoke(1, 2, 1, 1, 62)
        + check(1, 2, 1, 0, 1) + lists(4) + grant(1, 3, 1, 0, 1) + grant(1, 0, 0, 0, 1)
        + grant(1, 0, 7, 0, 1) + grant(1, 0, 1, 0, 0),
    'grants-high': b'\x02' + agent_set(2, 1, 3) + grant(2, 0, 3, 0, 64) + grant(2, 0, 3, 0, 63)
        + check(2, 0, 3, 60, 3) + check(2, 0, 3, 60, 4) + revoke(2, 0, 1, 20, 20)
        + lists(1) + remove(2) + check(2, 0, 1, 0, 1),
    'mask-narrow': b'\x00' + agent_set(1, 1, 3) + grant(1, 1, 3, 0, 8) + agent_set(1, 1, 1)
        + check(1, 1, 1, 0, 8) + grant(1, 1, 1, 8, 8) + many(1, [(1, 1, 0, 8), (0, 1, 0, 1)])
        + revoke(1, 1, 3, 0, 8) + check(1, 1, 1, 0, 8),
    'check-many': b'\x04' + agent_set(3, 1, 7) + grant(3, 0, 1, 0, 32)
        + many(3, [(0, 0, 0, 8), (0, 1, 0, 8), (1, 0, 0, 1), (3, 0, 0, 1)])
        + many(3, []) + many(3, [(0, 6, 0, 1)]) + many(6, [(0, 0, 0, 1)]),
    'faults': b'\x08' + fault(1, agent_set(1, 10, 7)) + fault(1, agent_set(1, 10, 7))
        + owner(0) + fault(1, alloc(1, 0, 1, 0)) + fault(2, alloc(2, 0, 1, 0))
        + fault(1, grant(1, 0, 3, 0, 64)) + fault(2, grant(1, 0, 1, 5, 5))
        + fault(1, revoke(1, 0, 1, 6, 2)) + fault(3, revoke(1, 0, 2, 0, 64)) + lists(3),
    'fault-create': b'\x09' + owner(1) + fault(2, alloc(3, 1, 2, 1)) + fault(1, alloc(3, 1, 2, 1))
        + fault(3, alloc(3, 1, 2, 1)) + owner(1) + remove(3),
    'free-paths': b'\x01' + owner(2) + alloc(1, 0, 1, 2) + alloc(2, 0, 1, 2, 1)
        + free(0xe1) + free(0xf0) + free(0, 2, 1) + free(0, 1, 1) + free(0, 0, 1) + owner(2)
        + lists(8),
    # default_quota on: a grant to an unknown agent (created, or -ENOENT on
    # cores without issue 10's rule), also at max_agents and under a fault
    'grant-unknown': b'\x01' + grant(1, 1, 3, 0, 8) + check(1, 1, 1, 0, 8)
        + agent_set(2, 1, 1) + agent_set(3, 1, 1) + agent_set(4, 1, 1)
        + grant(5, 0, 1, 0, 1) + remove(4) + fault(1, grant(5, 0, 1, 0, 1))
        + grant(5, 3, 1, 0, 1) + grant(5, 0, 1, 0, 1) + lists(2),
    'many-ranges': b'\x00' + agent_set(1, 1, 7) + b''.join(grant(1, k % 3, 1 + k % 3, k * 3 % 64, 2) for k in range(40))
        + b''.join(revoke(1, k % 3, 1, k * 5 % 64, 1) for k in range(20)) + lists(7),
}
d = os.path.join(os.path.dirname(os.path.abspath(sys.argv[0])), 'corpus', 'core_ops')
os.makedirs(d, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)
