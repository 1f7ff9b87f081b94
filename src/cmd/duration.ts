// What the commands share and the agent must not pull the API server in for: duration flags
// (`--node-monitor-grace-period 40s`) and running until SIGINT/SIGTERM, then stopping in order.
/** `40s`, `1m30s`, `500ms`, `2h` → milliseconds. */
export function parseDuration(text: string, flag: string): number {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let consumed = 0;
  for (const m of text.matchAll(re)) {
    total += Number(m[1]) * unit[m[2]!]!;
    consumed += m[0].length;
  }
  if (consumed !== text.length || text === '') throw new Error(`${flag}: invalid duration "${text}" (e.g. 40s, 1m30s)`);
  return total;
}

/** Waits for SIGINT or SIGTERM, logs `shutting down`, then runs `stop`. */
export async function runUntilSignal(log: (msg: string) => void, stop: () => Promise<void>): Promise<number> {
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  log('shutting down');
  await stop();
  return 0;
}
