/**
 * A small HTTP client for the agent's API: JSON in and out, a token on
 * every request that has one, and failures turned into exit codes (refused
 * 1, unreachable 3).
 *
 * Changes carry the change token. Reads (the event stream included) carry
 * the read token when one is given, else the change token when it can be
 * read (an agent with a read token takes the change token for reads too),
 * else none: reads need none unless the agent has a read token, and a
 * change-token file a read cannot open (root's) must not fail it.
 */
import { readFileSync } from 'node:fs';
import { CliExit, Exit } from './exit-codes.ts';

export interface ClientOptions {
  url: string;
  tokenFile?: string;
  readTokenFile?: string;
  timeoutMs?: number;
}

interface ApiErrorBody {
  error?: { code?: string; message?: string };
}

export class ApiClient {
  readonly base: string;
  /** each read on first use: a command reads only the file it needs */
  private changeToken: string | undefined;
  private readToken: string | undefined;

  constructor(private readonly opts: ClientOptions) {
    let u: URL;
    try {
      u = new URL(opts.url);
    } catch {
      throw new CliExit(Exit.usage, `--url: "${opts.url}" is not a URL (e.g. http://127.0.0.1:9400)`);
    }
    this.base = u.toString().replace(/\/+$/, '');
  }

  /** A token from @file, else from the environment variable @env; '' for none. */
  private static tokenFrom(file: string | undefined, env: string, flag: string): string {
    if (!file) return process.env[env] ?? '';
    try {
      return readFileSync(file, 'utf8').trim();
    } catch (err) {
      throw new CliExit(Exit.usage, `cannot read ${flag} ${file}: ${(err as Error).message}`);
    }
  }

  /** The Authorization header for a change, or for a read; {} when there is no token for it. */
  authHeader(use: 'change' | 'read'): Record<string, string> {
    const token = use === 'change' ? this.change() : this.read() || this.changeIfReadable();
    return token ? { authorization: `Bearer ${token}` } : {};
  }

  private change(): string {
    this.changeToken ??= ApiClient.tokenFrom(this.opts.tokenFile, 'GDL_TOKEN', 'token file');
    return this.changeToken;
  }

  private read(): string {
    this.readToken ??= ApiClient.tokenFrom(this.opts.readTokenFile, 'GDL_READ_TOKEN', 'read token file');
    return this.readToken;
  }

  private changeIfReadable(): string {
    try {
      return this.change();
    } catch {
      return '';
    }
  }

  /** Sends a request; resolves with the parsed JSON body (undefined for 204). */
  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json', ...this.authHeader(method === 'GET' ? 'read' : 'change') };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await this.fetch(path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const text = await res.text();
    const json = text ? (JSON.parse(text) as unknown) : undefined;
    if (!res.ok) {
      const e = (json as ApiErrorBody | undefined)?.error;
      throw new CliExit(Exit.refused, `${e?.code ?? `HTTP ${res.status}`}: ${e?.message ?? text}`);
    }
    return json as T;
  }

  /** fetch with the agent-unreachable case turned into exit code 3. */
  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const url = `${this.base}${path}`;
    try {
      return await fetch(url, { ...init, signal: init.signal ?? AbortSignal.timeout(this.opts.timeoutMs ?? 10_000) });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (err as Error).message;
      throw new CliExit(Exit.unreachable, `agent unreachable at ${this.base} (${why}); is \`gdl agent\` running? (--url)`);
    }
  }
}
