/**
 * What an agent opened, closed in the reverse order it was opened, once.
 * Startup registers each resource as soon as it exists, so a failure half
 * way closes exactly what was opened, and shutdown is the same list.
 */
export class Teardown {
  readonly #steps: (() => unknown)[] = [];
  #closing: Promise<void> | undefined;

  /** Runs @step at close, before everything added earlier. */
  add(step: () => unknown): void {
    this.#steps.push(step);
  }

  /**
   * Every step runs even when one fails (the rest still hold resources);
   * the first failure is rethrown at the end. Later calls get the same promise.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      let first: { err: unknown } | undefined;
      for (const step of [...this.#steps].reverse()) {
        try {
          await step();
        } catch (err) {
          first ??= { err };
        }
      }
      if (first) throw first.err;
    })();
    return this.#closing;
  }
}
