// Slow-start batching, as upstream's slowStartBatch: call `fn` `count` times in batches of 1, 2,
// 4, ... (doubling from `initialBatchSize`), each batch concurrently, and stop after the first
// batch in which any call failed. A namespace that forbids pods (quota, admission) thus costs one
// failed request instead of hundreds. Returns how many calls succeeded and the first error.
export async function slowStartBatch(
  count: number,
  initialBatchSize: number,
  fn: () => Promise<void>,
): Promise<{ successes: number; error?: unknown }> {
  let remaining = count;
  let successes = 0;
  for (let batch = Math.min(remaining, initialBatchSize); batch > 0; batch = Math.min(2 * batch, remaining)) {
    const results = await Promise.allSettled(Array.from({ length: batch }, () => fn()));
    let error: unknown;
    let failed = false;
    for (const r of results) {
      if (r.status === 'fulfilled') successes++;
      else if (!failed) {
        failed = true;
        error = r.reason;
      }
    }
    if (failed) return { successes, error };
    remaining -= batch;
  }
  return { successes };
}

/** The batch sizes slowStartBatch would use for `count` calls that all succeed (for tests and docs). */
export function slowStartBatchSizes(count: number, initialBatchSize: number): number[] {
  const out: number[] = [];
  let remaining = count;
  for (let batch = Math.min(remaining, initialBatchSize); batch > 0; batch = Math.min(2 * batch, remaining)) {
    out.push(batch);
    remaining -= batch;
  }
  return out;
}
