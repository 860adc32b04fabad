/**
 * TAP-ish output shared by the deploy checks: `ok - name`, `not ok - name: why`,
 * `ok - name # SKIP why`. dashboards/test.sh counts these lines.
 */
export class Tap {
  passed = 0;
  failed = 0;

  ok(name: string): void {
    this.passed++;
    console.log(`ok - ${name}`);
  }

  fail(name: string, why: string): void {
    this.failed++;
    console.log(`not ok - ${name}: ${why.replace(/\s+/g, ' ').trim()}`);
  }

  skip(name: string, why: string): void {
    this.passed++;
    console.log(`ok - ${name} # SKIP ${why}`);
  }

  /** ok when `problem` is empty/undefined, else not ok with it. */
  check(name: string, problem: string | undefined | false): void {
    if (problem) this.fail(name, problem);
    else this.ok(name);
  }

  note(text: string): void {
    for (const line of text.split('\n')) console.log(`# ${line}`);
  }

  /** Exit status for the process: nonzero when anything failed. */
  get exitCode(): number {
    return this.failed === 0 ? 0 : 1;
  }
}
