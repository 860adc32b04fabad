#!/usr/bin/env node
// client.mjs - a minimal client of the agent socket (docs/wire.md), plain
// Node, no dependencies: for guest cases, shell scripts and people.
//
//   node test/wire/client.mjs SOCKET info
//   node test/wire/client.mjs SOCKET alloc SIZE [DEVICE] [hold]
//   node test/wire/client.mjs SOCKET agent [AGENT]
//
// Prints one JSON line per request: {"cmd":..., "result": 0 | -errno, ...}.
// `alloc ... hold` keeps the connection (and so the allocation) open until
// the process is killed. Exit code 0 when every request got result 0.
import { connect } from 'node:net';

const IOC = { INFO: 0xc0285341, GET_AGENT: 0xc0385344, ALLOC: 0xc0205346 };
const SIZE = { INFO: 40, GET_AGENT: 56, ALLOC: 32 };
const [path, what, ...args] = process.argv.slice(2);
if (!path || !what) {
	process.stderr.write('usage: client.mjs SOCKET info | alloc SIZE [DEVICE] [hold] | agent [AGENT]\n');
	process.exit(2);
}

const sock = connect(path);
let buf = Buffer.alloc(0);
const waiting = [];
sock.on('data', (d) => {
	buf = Buffer.concat([buf, d]);
	while (buf.length >= 16) {
		const len = buf.readUInt32LE(4);
		if (buf.length < 16 + len) return;
		const r = { result: buf.readInt32LE(8), p: Buffer.from(buf.subarray(16, 16 + len)) };
		buf = buf.subarray(16 + len);
		waiting.shift()(r);
	}
});
sock.on('error', (e) => {
	process.stderr.write(`client.mjs: ${e.message}\n`);
	process.exit(3);
});
const call = (cmd, payload) => new Promise((ok) => {
	waiting.push(ok);
	const h = Buffer.alloc(16);
	h.writeUInt32LE(cmd, 0);
	h.writeUInt32LE(payload.length, 4);
	sock.write(Buffer.concat([h, payload]));
});

sock.on('connect', async () => {
	let r, out;
	if (what === 'info') {
		r = await call(IOC.INFO, Buffer.alloc(SIZE.INFO));
		out = r.result ? {} : { bound: r.p.readUInt32LE(12), agent: r.p.readBigUInt64LE(16).toString() };
	} else if (what === 'agent') {
		const q = Buffer.alloc(SIZE.GET_AGENT);
		q.writeBigUInt64LE(BigInt(args[0] ?? 0), 0);
		r = await call(IOC.GET_AGENT, q);
		out = r.result ? {} : { quota: r.p.readBigUInt64LE(8).toString(), used: r.p.readBigUInt64LE(16).toString() };
	} else if (what === 'alloc') {
		const q = Buffer.alloc(SIZE.ALLOC);
		q.writeBigUInt64LE(BigInt(args[0] ?? 0), 8);
		q.writeUInt32LE(Number(args[1] ?? 0), 16);
		r = await call(IOC.ALLOC, q);
		out = r.result ? {} : { alloc_id: r.p.readBigUInt64LE(24).toString() };
	} else {
		process.stderr.write(`client.mjs: unknown request ${what}\n`);
		process.exit(2);
	}
	process.stdout.write(`${JSON.stringify({ cmd: what, result: r.result, ...out })}\n`);
	if (what === 'alloc' && args.includes('hold')) return; // keep the owner alive until killed
	sock.end();
	process.exitCode = r.result === 0 ? 0 : 1;
});
