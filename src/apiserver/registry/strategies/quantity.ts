// A minimal resource.Quantity for the strategies: parse, compare, sign, and the canonical
// String() that Kubernetes prints in validation messages ("must be less than or equal to cpu
// limit of 500m"). Values are held exactly as a count of nano-units in a bigint; finer precision
// is rounded up as upstream rounds it.
//
// NOTE: src/api/quantity.ts did not exist when this was written. When it lands, the strategies
// should switch to it and this file should go.

export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

export interface Quantity {
  /** The value times 1e9. */
  readonly nanos: bigint;
  readonly format: QuantityFormat;
}

export const QUANTITY_PATTERN = '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$';
/** The message upstream's decoder gives for a malformed quantity. */
export const QUANTITY_SYNTAX_ERROR = `quantities must match the regular expression '${QUANTITY_PATTERN}'`;

const DECIMAL_SUFFIX: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIX: Record<string, number> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };
const DECIMAL_BY_EXP = new Map<number, string>(Object.entries(DECIMAL_SUFFIX).map(([k, v]) => [v, k]));
const BINARY_BY_POW = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];

function pow10(n: number): bigint {
  return 10n ** BigInt(n);
}

/** Parses a quantity string, or a JSON number (which the API also accepts). Null when malformed. */
export function parseQuantity(input: unknown): Quantity | null {
  let s: string;
  if (typeof input === 'number' && Number.isFinite(input)) s = String(input);
  else if (typeof input === 'string') s = input;
  else return null;
  const m = /^([+-]?)([0-9]*)(?:\.([0-9]*))?([a-zA-Z]*)([-+]?[0-9]*)$/.exec(s);
  if (m === null) return null;
  const [, sign, intPart = '', fracPart = '', suffixLetters = '', expDigits = ''] = m;
  if (intPart.length === 0 && fracPart.length === 0) return null;
  let format: QuantityFormat;
  let decExp = 0;
  let binPow = 0;
  if (expDigits.length > 0) {
    if (suffixLetters !== 'e' && suffixLetters !== 'E') return null;
    if (!/^[-+]?[0-9]+$/.test(expDigits)) return null;
    format = 'DecimalExponent';
    decExp = Number(expDigits);
  } else if (suffixLetters in BINARY_SUFFIX) {
    format = 'BinarySI';
    binPow = BINARY_SUFFIX[suffixLetters]!;
  } else if (suffixLetters in DECIMAL_SUFFIX) {
    format = 'DecimalSI';
    decExp = DECIMAL_SUFFIX[suffixLetters]!;
  } else {
    return null;
  }
  if (Math.abs(decExp) > 1000) return null;
  // digits × 10^(decExp − frac) × 1024^binPow, in nano-units.
  const digits = BigInt((intPart || '0') + fracPart);
  const num = digits * 1024n ** BigInt(binPow);
  const shift = decExp - fracPart.length + 9;
  let nanos: bigint;
  if (shift >= 0) {
    nanos = num * pow10(shift);
  } else {
    const div = pow10(-shift);
    nanos = num / div;
    if (num % div !== 0n) nanos += 1n; // round up, as upstream does below nano precision
  }
  if (sign === '-') nanos = -nanos;
  return { nanos, format };
}

export function compareQuantity(a: Quantity, b: Quantity): number {
  return a.nanos < b.nanos ? -1 : a.nanos > b.nanos ? 1 : 0;
}

export function quantitySign(q: Quantity): number {
  return q.nanos < 0n ? -1 : q.nanos > 0n ? 1 : 0;
}

/** True when the quantity is a whole number (upstream: MilliValue() % 1000 == 0). */
export function isWholeQuantity(q: Quantity): boolean {
  return q.nanos % 1_000_000_000n === 0n;
}

function decimalString(nanos: bigint, exponentStyle: boolean): string {
  for (let e = 18; e >= -9; e -= 3) {
    const div = pow10(e + 9);
    if (nanos % div === 0n) {
      const mant = nanos / div;
      if (exponentStyle) return e === 0 ? `${mant}` : `${mant}e${e}`;
      return `${mant}${DECIMAL_BY_EXP.get(e) ?? ''}`;
    }
  }
  return `${nanos}n`;
}

/** The canonical form upstream's Quantity.String() prints. */
export function formatQuantity(q: Quantity): string {
  if (q.nanos === 0n) return '0';
  const neg = q.nanos < 0n;
  const abs = neg ? -q.nanos : q.nanos;
  let out: string;
  const whole = abs % 1_000_000_000n === 0n ? abs / 1_000_000_000n : undefined;
  // Binary quantities below 1024 (or fractional) print in decimal form, as upstream does.
  if (q.format === 'BinarySI' && whole !== undefined && whole >= 1024n) {
    let pow = 0;
    let v = whole;
    while (pow < 6 && v % 1024n === 0n) {
      v /= 1024n;
      pow++;
    }
    out = `${v}${BINARY_BY_POW[pow]}`;
  } else {
    out = decimalString(abs, q.format === 'DecimalExponent');
  }
  return neg ? `-${out}` : out;
}

/** Parses and re-prints; the input itself when it does not parse. */
export function canonicalQuantity(input: unknown): string {
  const q = parseQuantity(input);
  return q === null ? String(input) : formatQuantity(q);
}
