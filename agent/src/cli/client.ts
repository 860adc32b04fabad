/**
 * A small HTTP client for the agent's API: JSON in and out, the token on
 * changes, and failures turned into exit codes (refused 1, unreachable 3).
 */
import { readFileSync } from 'node:fs';
import { CliExit, Exit } from './exit-codes.ts';

export interface ClientOptions {
  url: string;
  tokenFile?: string;
  timeoutMs?: number;
}

interface ApiErrorBody {
  error?: { code?: string; message?: string };
}

export class ApiClient {
  readonly base: string;
  private token: string | undefined;

  constructor(private readonly opts: ClientOptions) {
    let u: URL;
    try {
      u = new URL(opts.url);
    } catch {
      throw new CliExit(Exit.usage, `--url: "${opts.url}" is not a URL (e.g. http://127.0.0.1:9400)`);
    }
    this.base = u.toString().replace(/\/+$/, '');
  }

  private authHeader(): Record<string, string> {
    if (this.token === undefined) {
      if (this.opts.tokenFile) {
        try {
          this.token = readFileSync(this.opts.tokenFile, 'utf8').trim();
        } catch (err) {
          throw new CliExit(Exit.usage, `cannot read token file ${this.opts.tokenFile}: ${(err as Error).message}`);
        }
      } else {
        this.token = process.env.GDL_TOKEN ?? '';
      }
    }
    return this.token ? { authorization: `Bearer ${this.token}` } : {};
  }

  /** Sends a request; resolves with the parsed JSON body (undefined for 204). */
  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json', ...(method === 'GET' ? {} : this.authHeader()) };
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
