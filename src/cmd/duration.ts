// Duration flags (`--node-monitor-grace-period 40s`), shared by the commands; kept apart so the
// agent does not load the API server to read one flag.
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
