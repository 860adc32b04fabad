/** Exit codes of every gdl command; scripts rely on them (docs/agent.md). */
export const Exit = {
  ok: 0,
  /** the agent answered with an error, or a check was denied */
  refused: 1,
  /** bad command line or configuration */
  usage: 2,
  /** no agent answered at --url */
  unreachable: 3,
} as const;

/** Thrown by commands to end with a given exit code and message. */
export class CliExit extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}
