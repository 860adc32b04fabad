/**
 * gdl: run the agent (`gdl agent`) or talk to one over HTTP. Returns the
 * exit code instead of exiting, so tests can call main() in process.
 */
import { Command, CommanderError } from 'commander';
import { VERSION } from '../version.ts';
import { registerAgent } from './commands/agent.ts';
import { registerAgents } from './commands/agents.ts';
import { registerAllocations } from './commands/allocations.ts';
import { registerBindings } from './commands/bindings.ts';
import { registerGrants } from './commands/grants.ts';
import { registerStatus } from './commands/status.ts';
import { registerWatch } from './commands/watch.ts';
import { CliExit, Exit } from './exit-codes.ts';

function buildProgram(): Command {
  const program = new Command('gdl')
    .description('gpu-dma-lock: per-node GPU memory quotas and DMA permissions')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerAgent(program);
  registerStatus(program);
  registerAgents(program);
  registerGrants(program);
  registerAllocations(program);
  registerWatch(program);
  registerBindings(program);
  for (const cmd of program.commands) {
    cmd.exitOverride();
    for (const sub of cmd.commands) sub.exitOverride();
  }
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return Exit.ok;
  } catch (err) {
    if (err instanceof CliExit) {
      if (err.message) process.stderr.write(`gdl: ${err.message}\n`);
      return err.code;
    }
    if (err instanceof CommanderError) {
      // --help and --version end here too, with exit code 0.
      return err.exitCode === 0 ? Exit.ok : Exit.usage;
    }
    process.stderr.write(`gdl: ${(err as Error).stack ?? String(err)}\n`);
    return Exit.refused;
  }
}
