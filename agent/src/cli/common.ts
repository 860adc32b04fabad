/** Options every client command shares, and the glue from them to an ApiClient. */
import { Option, type Command } from 'commander';
import { isModeName, type ModeName } from '../dma-mode.ts';
import { parseBytes, parseU64 } from '../units.ts';
import { ApiClient } from './client.ts';
import { CliExit, Exit } from './exit-codes.ts';
import { print, printJson } from './output.ts';

export interface ClientFlags {
  url: string;
  tokenFile?: string;
  readTokenFile?: string;
  json?: boolean;
}

export function clientOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--url <url>', 'agent API address').env('GDL_URL').default('http://127.0.0.1:9400'))
    .addOption(new Option('--token-file <file>', 'file holding the API token, sent with every request (else $GDL_TOKEN)').env('GDL_TOKEN_FILE'))
    .addOption(
      new Option('--read-token-file <file>', "file holding the agent's read token, for reads when there is no API token (else $GDL_READ_TOKEN)")
        .env('GDL_READ_TOKEN_FILE'),
    )
    .option('--json', 'print the API answer as JSON');
}

export function clientFrom(flags: ClientFlags): ApiClient {
  return new ApiClient({
    url: flags.url,
    ...(flags.tokenFile ? { tokenFile: flags.tokenFile } : {}),
    ...(flags.readTokenFile ? { readTokenFile: flags.readTokenFile } : {}),
  });
}

/** `<agent> <size>`: the arguments of the commands that give an agent bytes (quota, alloc). */
export function agentAndSize(cmd: Command, size: string, help: string): Command {
  return cmd.argument('<agent>', 'agent id', agentIdArg).argument(`<${size}>`, `bytes, or with a unit: ${help}`, sizeArg(size));
}

/** What a command that removed something prints: `{ key: id }` with --json, else its line. */
export function printRemoved(flags: ClientFlags, key: string, id: string, line: string): void {
  if (flags.json) printJson({ [key]: id });
  else print(line);
}

/** commander argument parsers that fail as usage errors (exit 2) with the reason. */
export function agentIdArg(value: string): string {
  const id = usage(() => parseU64(value, 'agent'));
  if (id === 0n) throw new CliExit(Exit.usage, 'agent: 0 is not an agent id');
  return id.toString();
}

export function sizeArg(what: string) {
  return (value: string): string => usage(() => parseBytes(value, what)).toString();
}

export function u64Arg(what: string) {
  return (value: string): string => usage(() => parseU64(value, what)).toString();
}

export function deviceArg(value: string): number {
  if (!/^\d{1,2}$/.test(value) || Number(value) > 63) throw new CliExit(Exit.usage, `device: "${value}" is not a device index 0..63`);
  return Number(value);
}

export function modeArg(value: string): ModeName {
  if (!isModeName(value)) throw new CliExit(Exit.usage, `mode: "${value}" is not r, w or rw`);
  return value;
}

export function devicesArg(value: string): number[] {
  return value.split(',').filter(Boolean).map(deviceArg);
}

function usage<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof CliExit) throw err;
    throw new CliExit(Exit.usage, (err as Error).message);
  }
}
