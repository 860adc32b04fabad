/**
 * `gdl agent`: run the per-node agent in the foreground.
 *
 * The agent's modules (Fastify, OpenTelemetry, koffi) load only when this
 * command runs, so the client commands start fast.
 */
import { Option, type Command } from 'commander';
import { CliExit, Exit } from '../exit-codes.ts';

interface AgentFlags {
  config?: string;
  listen?: string;
  port?: string;
  apiSocket?: string;
  metricsListen?: string;
  metricsPort?: string;
  readTokenFile?: string;
  logFormat?: string;
  backend?: string;
  policy?: string;
  tokenFile?: string;
  otlpEndpoint?: string;
  sampleRatio?: string;
  logLevel?: string;
  kernelEvents?: boolean;
  socket?: string | boolean;
  cgroupRoot?: string;
  watchCgroups?: boolean;
}

function num(value: string | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new CliExit(Exit.usage, `${what}: "${value}" is not a number`);
  return n;
}

export function registerAgent(program: Command): void {
  program
    .command('agent')
    .description('run the agent: HTTP API, policy, telemetry (flags > GDL_* env > --config file)')
    .option('--config <file>', 'YAML or JSON config file')
    .option('--listen <host>', 'address to listen on (default 127.0.0.1)')
    .option('--port <port>', 'port (default 9400; 0 picks a free one)')
    .option('--api-socket <path>', 'serve the API on this Unix socket instead of --listen/--port')
    .option('--metrics-listen <host>', 'address of the telemetry listener: /metrics, /healthz, /readyz (default 127.0.0.1)')
    .option('--metrics-port <port>', 'its port (default 9401; -1: none)')
    .option('--read-token-file <file>', 'file with a bearer token that reads, checks and the event stream then need (else $GDL_READ_TOKEN)')
    .addOption(new Option('--log-format <format>', 'log lines: json, pretty, or auto (pretty on a terminal)').choices(['auto', 'json', 'pretty']))
    .addOption(new Option('--backend <kind>', 'governance core').choices(['auto', 'kernel', 'embedded']))
    .option('--policy <file>', 'policy file (YAML/JSON) applied at start and after a module reload')
    .option('--token-file <file>', 'file with the bearer token for changes (else $GDL_TOKEN; none: read-only)')
    .option('--otlp-endpoint <url>', 'OTLP/HTTP endpoint for traces, e.g. http://127.0.0.1:4318')
    .option('--sample-ratio <ratio>', 'share of allowed checks and allocations traced, 0..1 (default 0.01)')
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent')
    .option('--socket <path>', 'interposer socket, embedded backend (default /run/gpu-dma-lock/agent.sock)')
    .option('--no-socket', 'serve no interposer socket')
    .option('--cgroup-root <dir>', 'cgroup2 mount (default /sys/fs/cgroup)')
    .option('--no-watch-cgroups', 'do not watch cgroups for the policy\'s match rules')
    .option('--no-kernel-events', 'kernel backend: do not load the BPF event pipeline (lets the module be reloaded under the agent)')
    .action(async (flags: AgentFlags) => {
      const config = await configFrom(flags);
      const { PolicyError } = await import('../../policy.ts');
      const { handleSignals, startAgent, StartupError } = await import('../../server.ts');
      let agent;
      try {
        agent = await startAgent(config);
      } catch (err) {
        if (err instanceof PolicyError || err instanceof StartupError) throw new CliExit(Exit.usage, err.message);
        throw new CliExit(Exit.refused, `cannot start the agent: ${(err as Error).message}`);
      }
      handleSignals(agent);
      // Stay up until a signal closes the server.
      await new Promise<void>((resolve) => agent.app.server.once('close', () => resolve()));
    });
}

/** The agent's configuration: these flags over GDL_* over --config (loadConfig); a bad one is a usage error. */
async function configFrom(flags: AgentFlags) {
  const { ConfigError, loadConfig } = await import('../../config.ts');
  try {
    return loadConfig({
      ...(flags.config ? { file: flags.config } : {}),
      flags: {
        listen: flags.listen,
        port: num(flags.port, '--port'),
        apiSocket: flags.apiSocket,
        metricsListen: flags.metricsListen,
        metricsPort: num(flags.metricsPort, '--metrics-port'),
        readTokenFile: flags.readTokenFile,
        logFormat: flags.logFormat,
        backend: flags.backend,
        policy: flags.policy,
        tokenFile: flags.tokenFile,
        otlpEndpoint: flags.otlpEndpoint,
        sampleRatio: num(flags.sampleRatio, '--sample-ratio'),
        logLevel: flags.logLevel,
        // commander sets true by default for --no-*: pass it only when given.
        kernelEvents: flags.kernelEvents === false ? false : undefined,
        socket: typeof flags.socket === 'string' ? flags.socket : flags.socket === false ? false : undefined,
        cgroupRoot: flags.cgroupRoot,
        watchCgroups: flags.watchCgroups === false ? false : undefined,
      },
    });
  } catch (err) {
    if (err instanceof ConfigError) throw new CliExit(Exit.usage, err.message);
    throw err;
  }
}
