/**
 * The agent's log output: pino's JSON lines, or on a terminal one human line
 * per record (pino-pretty style, without its dependencies):
 *
 *   21:04:05.123 INFO  policy applied  policy=/etc/gdl/policy.yaml agents=3
 *
 * `logFormat: auto` (the default) picks pretty when stdout is a TTY.
 */
import { Writable } from 'node:stream';

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' };
const COLOURS: Record<number, string> = { 10: '90', 20: '36', 30: '32', 40: '33', 50: '31', 60: '35' };
const HIDDEN = new Set(['level', 'time', 'msg', 'pid', 'hostname']);

function value(v: unknown): string {
  if (typeof v === 'string') return /[\s"=]/.test(v) ? JSON.stringify(v) : v;
  return JSON.stringify(v);
}

/** One JSON log line -> one human line (input that is not JSON is passed through). */
export function prettyLine(line: string, colour = false): string {
  let r: Record<string, unknown>;
  try {
    r = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const t = new Date(typeof r.time === 'number' ? r.time : Date.now());
  const time = `${String(t.getHours()).padStart(2, '0')}:${String(t.getMinutes()).padStart(2, '0')}:${String(t.getSeconds()).padStart(2, '0')}.${String(t.getMilliseconds()).padStart(3, '0')}`;
  const lvl = Number(r.level);
  const name = LEVELS[lvl] ?? String(r.level);
  const fields = Object.entries(r).filter(([k]) => !HIDDEN.has(k)).map(([k, v]) => `${k}=${value(v)}`);
  const head = colour ? `\x1b[${COLOURS[lvl] ?? '0'}m${name}\x1b[0m` : name;
  return `${time} ${head} ${String(r.msg ?? '')}${fields.length ? `  ${fields.join(' ')}` : ''}`;
}

/** A pino destination writing human lines to @out. */
function prettyStream(out: NodeJS.WritableStream & { isTTY?: boolean } = process.stdout): Writable {
  let rest = '';
  return new Writable({
    write(chunk, _enc, done) {
      const lines = (rest + String(chunk)).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) if (line) out.write(`${prettyLine(line, Boolean(out.isTTY))}\n`);
      done();
    },
  });
}

/** Fastify logger options for a level and format. */
export function loggerOptions(level: string, format: 'auto' | 'json' | 'pretty', isTTY = Boolean(process.stdout.isTTY)): object {
  const pretty = format === 'pretty' || (format === 'auto' && isTTY);
  return pretty ? { level, stream: prettyStream() } : { level };
}
