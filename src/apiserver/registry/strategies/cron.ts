// Cron schedule checks for CronJobs, with the messages of the robfig/cron parser Kubernetes
// uses: five fields (minute hour day-of-month month day-of-week), ranges, steps, names, `?`, and
// the @yearly/@monthly/@weekly/@daily/@midnight/@hourly/@every descriptors.

interface Bounds { min: number; max: number; names?: readonly string[] }

const FIELDS: readonly Bounds[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] },
  { min: 0, max: 6, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
];

const DESCRIPTORS = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);

function parseIntStrict(expr: string, s: string): number {
  if (!/^-?[0-9]+$/.test(s)) throw new Error(`failed to parse int from ${s}: strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`);
  const n = Number(s);
  if (n < 0) throw new Error(`negative number (${n}) not allowed: ${expr}`);
  return n;
}

function value(expr: string, s: string, b: Bounds): number {
  const idx = b.names?.indexOf(s.toLowerCase()) ?? -1;
  if (idx >= 0) return idx + (b.min === 1 ? 1 : 0);
  return parseIntStrict(expr, s);
}

function checkRange(expr: string, b: Bounds): void {
  const [rangeAndStep, ...more] = expr.split('/');
  if (more.length > 1) throw new Error(`too many slashes: ${expr}`);
  const lowAndHigh = rangeAndStep!.split('-');
  let start: number;
  let end: number;
  if (lowAndHigh[0] === '*' || lowAndHigh[0] === '?') {
    start = b.min;
    end = b.max;
    if (lowAndHigh.length > 1) throw new Error(`too many hyphens: ${expr}`);
  } else {
    start = value(expr, lowAndHigh[0]!, b);
    if (lowAndHigh.length === 1) end = start;
    else if (lowAndHigh.length === 2) end = value(expr, lowAndHigh[1]!, b);
    else throw new Error(`too many hyphens: ${expr}`);
  }
  if (more.length === 1) {
    const step = parseIntStrict(expr, more[0]!);
    if (step === 0) throw new Error(`step of range should be a positive number: ${expr}`);
    if (lowAndHigh.length === 1 && lowAndHigh[0] !== '*' && lowAndHigh[0] !== '?') end = b.max;
  }
  if (start < b.min) throw new Error(`beginning of range (${start}) below minimum (${b.min}): ${expr}`);
  if (end > b.max) throw new Error(`end of range (${end}) above maximum (${b.max}): ${expr}`);
  if (start > end) throw new Error(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
}

function parseDuration(s: string): boolean {
  return /^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/.test(s);
}

/** The parser's error for a bad schedule, or undefined when it parses. */
export function cronScheduleError(schedule: string): string | undefined {
  const spec = schedule.trim();
  if (spec.length === 0) return 'empty spec string';
  try {
    if (spec.startsWith('@')) {
      if (DESCRIPTORS.has(spec)) return undefined;
      if (spec.startsWith('@every ')) {
        const d = spec.slice('@every '.length);
        return parseDuration(d) ? undefined : `failed to parse duration ${spec}: time: invalid duration ${JSON.stringify(d)}`;
      }
      return `unrecognized descriptor: ${spec}`;
    }
    const fields = spec.split(/\s+/);
    if (fields.length !== 5) return `expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`;
    fields.forEach((f, i) => {
      for (const part of f.split(',')) checkRange(part, FIELDS[i]!);
    });
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
