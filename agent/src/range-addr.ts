/**
 * A range's first byte is called `addr` in every interface (as in a DMA
 * check). Grants used to call it `start`: request bodies and policy files
 * written then still say so, and that name stays accepted as a deprecated
 * alias. One place decides which of the two a caller gave.
 */

/** The range's first byte from @o, by its name or its deprecated alias; @fail builds the caller's error. */
export function rangeAddr<T>(o: { addr?: T; start?: T }, at: string, fail: (message: string) => Error): T {
  if (o.addr !== undefined && o.start !== undefined) throw fail(`${at}: give addr or start (its deprecated name), not both`);
  const v = o.addr ?? o.start;
  if (v === undefined) throw fail(`${at}: addr is required`);
  return v;
}
