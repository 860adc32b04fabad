/**
 * Teardown (agent/src/teardown.ts): what the agent opened closes in reverse
 * order, every step runs even when one fails, and closing twice closes once.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Teardown } from '../../agent/src/teardown.ts';

const T = suite('agent teardown');

T('steps run in the reverse order they were added', async () => {
  const order: string[] = [];
  const t = new Teardown();
  t.add(() => { order.push('backend'); });
  t.add(async () => { await new Promise((r) => setTimeout(r, 5)); order.push('hub'); });
  t.add(() => { order.push('app'); });
  await t.close();
  assert.equal(order, ['app', 'hub', 'backend']);
});

T('a failing step does not stop the rest; the first failure is rethrown', async () => {
  const order: string[] = [];
  const t = new Teardown();
  t.add(() => { order.push('backend'); });
  t.add(() => { throw new Error('second'); });
  t.add(async () => { throw new Error('first'); });
  const err = await t.close().then(() => null, (e: unknown) => e);
  assert.instance(err, Error);
  assert.is((err as Error).message, 'first');
  assert.equal(order, ['backend']);
});

T('closing twice runs every step once and returns the same promise', async () => {
  let n = 0;
  const t = new Teardown();
  t.add(() => { n++; });
  const a = t.close();
  const b = t.close();
  assert.is(a, b);
  await a;
  await t.close();
  assert.is(n, 1);
});

T.run();
