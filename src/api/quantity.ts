// resource.Quantity: the fixed-point numbers of resource requests, limits and capacities
// (`100m`, `1.5`, `2Gi`, `1e3`). A Quantity is exact: an integer `unscaled` times 10^`scale`,
// rounded up to nano precision at parse as Kubernetes does. It prints in Kubernetes' canonical
// form (`1000m` → `1`, `1024Mi` → `1Gi`, `0.5` → `500m`) and keeps the text it was parsed from
// when upstream would, so objects round-trip byte-for-byte like a real API server's.
//
// The scheduler reads milliValue()/value() per pod and node in its hot path: both are computed
// once per Quantity and cached, so callers should keep parsed Quantities rather than strings.

export type QuantityFormat = 'DecimalExponent' | 'BinarySI' | 'DecimalSI';

const SPLIT_RE = '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$';

export class QuantityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QuantityError';
  }
}

export const ERR_FORMAT_WRONG = `quantities must match the regular expression '${SPLIT_RE}'`;
export const ERR_SUFFIX = "unable to parse quantity's suffix";

const NANO = -9;
const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

const pow10Cache: bigint[] = [];
function pow10(n: number): bigint {
  if (n < 64) {
    let v = pow10Cache[n];
    if (v === undefined) {
      v = 10n ** BigInt(n);
      pow10Cache[n] = v;
    }
    return v;
  }
  return 10n ** BigInt(n);
}

function abs(v: bigint): bigint {
  return v < 0n ? -v : v;
}

function digitCount(v: bigint): number {
  return v === 0n ? 1 : abs(v).toString().length;
}

// Divides by 10^shift rounding away from zero, as inf.Dec's RoundUp and Kubernetes' int64
// scaling do. A shift beyond the number's digits yields ±1 (or 0) without building 10^shift.
function divRoundUp(u: bigint, shift: number): bigint {
  if (shift <= 0 || u === 0n) return u;
  if (shift > digitCount(u)) return u > 0n ? 1n : -1n;
  const d = pow10(shift);
  const a = abs(u);
  let q = a / d;
  if (a % d !== 0n) q += 1n;
  return u < 0n ? -q : q;
}

const DECIMAL_SUFFIXES = new Map<number, string>([
  [-9, 'n'], [-6, 'u'], [-3, 'm'], [0, ''], [3, 'k'], [6, 'M'], [9, 'G'], [12, 'T'], [15, 'P'], [18, 'E'],
]);
const BINARY_SUFFIXES = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];

interface Suffix { base: 10 | 2; exponent: number; format: QuantityFormat }

function interpretSuffix(s: string): Suffix | undefined {
  switch (s) {
    case '': return { base: 10, exponent: 0, format: 'DecimalSI' };
    case 'n': return { base: 10, exponent: -9, format: 'DecimalSI' };
    case 'u': return { base: 10, exponent: -6, format: 'DecimalSI' };
    case 'm': return { base: 10, exponent: -3, format: 'DecimalSI' };
    case 'k': return { base: 10, exponent: 3, format: 'DecimalSI' };
    case 'M': return { base: 10, exponent: 6, format: 'DecimalSI' };
    case 'G': return { base: 10, exponent: 9, format: 'DecimalSI' };
    case 'T': return { base: 10, exponent: 12, format: 'DecimalSI' };
    case 'P': return { base: 10, exponent: 15, format: 'DecimalSI' };
    case 'E': return { base: 10, exponent: 18, format: 'DecimalSI' };
    case 'Ki': return { base: 2, exponent: 10, format: 'BinarySI' };
    case 'Mi': return { base: 2, exponent: 20, format: 'BinarySI' };
    case 'Gi': return { base: 2, exponent: 30, format: 'BinarySI' };
    case 'Ti': return { base: 2, exponent: 40, format: 'BinarySI' };
    case 'Pi': return { base: 2, exponent: 50, format: 'BinarySI' };
    case 'Ei': return { base: 2, exponent: 60, format: 'BinarySI' };
  }
  if (s.length > 1 && (s[0] === 'e' || s[0] === 'E')) {
    const rest = s.slice(1);
    if (!/^[+-]?[0-9]+$/.test(rest)) return undefined;
    const v = BigInt(rest);
    if (v < INT64_MIN || v > INT64_MAX) return undefined;
    // Upstream parses an int64 and then truncates it to int32; reproduce the wrap-around.
    return { base: 10, exponent: Number(BigInt.asIntN(32, v)), format: 'DecimalExponent' };
  }
  return undefined;
}

interface Split { positive: boolean; num: string; denom: string; suffix: string }

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const SUFFIX_CHARS = 'eEinumkKMGTP';

// Splits sign, integer digits (leading zeros dropped), fraction digits and suffix, accepting
// exactly what upstream's hand-written scanner accepts (which is looser than SPLIT_RE in places:
// `-`, `.` and `+` alone read as zero).
function splitQuantity(str: string): Split {
  let positive = true;
  let pos = 0;
  const end = str.length;
  if (str[0] === '-') { positive = false; pos++; } else if (str[0] === '+') { pos++; }
  while (pos < end && str[pos] === '0') pos++;
  if (pos >= end) return { positive, num: '0', denom: '', suffix: '' };
  let i = pos;
  while (i < end && isDigit(str[i])) i++;
  let num = str.slice(pos, i);
  if (i >= end) return { positive, num, denom: '', suffix: '' };
  pos = i;
  if (num === '') num = '0';
  let denom = '';
  if (str[pos] === '.') {
    pos++;
    i = pos;
    while (i < end && isDigit(str[i])) i++;
    denom = str.slice(pos, i);
    if (i >= end) return { positive, num, denom, suffix: '' };
    pos = i;
  }
  const suffixStart = pos;
  i = pos;
  while (i < end && SUFFIX_CHARS.includes(str[i]!)) i++;
  if (i < end && (str[i] === '-' || str[i] === '+')) i++;
  while (i < end && isDigit(str[i])) i++;
  if (i < end) throw new QuantityError(ERR_FORMAT_WRONG);
  return { positive, num, denom, suffix: str.slice(suffixStart) };
}

/** An exact resource quantity. Immutable; arithmetic returns new values. */
export class Quantity {
  private cachedString: string | undefined;
  private cachedMilli: number | undefined;
  private cachedValue: number | undefined;

  private constructor(
    /** value = unscaled × 10^scale, scale ≥ -9 */
    private readonly unscaled: bigint,
    private readonly scale: number,
    readonly format: QuantityFormat,
    original?: string,
  ) {
    this.cachedString = original;
  }

  static readonly zero: Quantity = new Quantity(0n, 0, 'DecimalSI', '0');

  /** Parses a quantity; throws QuantityError with upstream's message when malformed. */
  static parse(str: string): Quantity {
    if (str.length === 0) throw new QuantityError(ERR_FORMAT_WRONG);
    if (str === '0') return Quantity.zero;
    const { positive, num, denom, suffix } = splitQuantity(str);
    const sfx = interpretSuffix(suffix);
    if (sfx === undefined) throw new QuantityError(ERR_SUFFIX);
    const { base, exponent } = sfx;
    let format = sfx.format;
    const digits = num + denom;
    let mantissa = BigInt(digits);

    // Upstream keeps the original text only on its int64 fast path, and only when the text is
    // already in a form it would not rewrite; elsewhere it prints the canonical form.
    let keepOriginal = false;
    if (base === 10) {
      const precision = 18 - digits.length;
      const scale = exponent - denom.length;
      if (precision >= 0 && scale >= NANO) {
        keepOriginal = scale % 3 === 0 && !digits.endsWith('000') && digits[0] !== '0';
      }
    } else if (denom.length === 0) {
      const precision = 15 - num.length - Math.trunc((exponent * 3) / 10) - 1;
      if (precision >= 0 && (mantissa << BigInt(exponent)) <= INT64_MAX) {
        keepOriginal = (mantissa & 7n) !== 0n;
      }
    }

    let scale: number;
    if (base === 10) {
      scale = exponent - denom.length;
    } else {
      mantissa <<= BigInt(exponent);
      scale = -denom.length;
    }
    if (!positive) mantissa = -mantissa;
    if (mantissa !== 0n && scale < NANO) {
      mantissa = divRoundUp(mantissa, NANO - scale);
      scale = NANO;
    }
    if (format === 'BinarySI') {
      // Binary quantities are capped at the largest int64; a fraction of one is printed as decimal.
      const limit = INT64_MAX * pow10(-scale);
      if (abs(mantissa) > limit) {
        mantissa = mantissa < 0n ? -INT64_MAX : INT64_MAX;
        scale = 0;
      }
      if (mantissa !== 0n && abs(mantissa) < pow10(-scale)) format = 'DecimalSI';
    }
    if (mantissa === 0n) scale = 0;
    return new Quantity(mantissa, scale, format, keepOriginal ? str : undefined);
  }

  /** Decodes a JSON value the way Quantity.UnmarshalJSON does: a string (trimmed) or a number. */
  static fromJSON(v: unknown): Quantity {
    if (typeof v === 'string') return Quantity.parse(v.trim());
    if (typeof v === 'number' && Number.isFinite(v)) return Quantity.parse(String(v));
    throw new QuantityError(ERR_FORMAT_WRONG);
  }

  /** `value × 10^scale`, e.g. (5, -3) is 5m. Scales below nano are rounded up to nano. */
  static scaled(value: number | bigint, scale: number, format: QuantityFormat = 'DecimalSI'): Quantity {
    let u = BigInt(value);
    let s = scale;
    if (s < NANO) { u = divRoundUp(u, NANO - s); s = NANO; }
    return new Quantity(u, u === 0n ? 0 : s, format);
  }

  /** An integer number of units (upstream NewQuantity). */
  static fromValue(value: number | bigint, format: QuantityFormat = 'DecimalSI'): Quantity {
    return Quantity.scaled(value, 0, format);
  }

  /** An integer number of thousandths (upstream NewMilliQuantity). */
  static fromMilli(milli: number | bigint, format: QuantityFormat = 'DecimalSI'): Quantity {
    return Quantity.scaled(milli, -3, format);
  }

  isZero(): boolean {
    return this.unscaled === 0n;
  }

  sign(): -1 | 0 | 1 {
    return this.unscaled === 0n ? 0 : this.unscaled > 0n ? 1 : -1;
  }

  /** -1, 0 or 1 as this is less than, equal to or greater than `other`. */
  cmp(other: Quantity): -1 | 0 | 1 {
    const a = this.unscaled;
    const b = other.unscaled;
    if (this.scale === other.scale) return a < b ? -1 : a > b ? 1 : 0;
    const sa = this.sign();
    const sb = other.sign();
    if (sa !== sb) return sa < sb ? -1 : 1;
    if (sa === 0) return 0;
    // Compare orders of magnitude first so that wildly different scales never expand 10^n.
    const ma = digitCount(a) + this.scale;
    const mb = digitCount(b) + other.scale;
    if (ma !== mb) return (ma > mb) === (sa > 0) ? 1 : -1;
    const [x, y] = Quantity.align(this, other);
    return x < y ? -1 : x > y ? 1 : 0;
  }

  equal(other: Quantity): boolean {
    return this.cmp(other) === 0;
  }

  /** this + other; the format is this one's unless this is zero (as upstream's Add). */
  add(other: Quantity): Quantity {
    const [x, y, scale] = Quantity.align(this, other);
    const u = x + y;
    return new Quantity(u, u === 0n ? 0 : scale, this.isZero() ? other.format : this.format);
  }

  sub(other: Quantity): Quantity {
    const [x, y, scale] = Quantity.align(this, other);
    const u = x - y;
    return new Quantity(u, u === 0n ? 0 : scale, this.isZero() ? other.format : this.format);
  }

  neg(): Quantity {
    return new Quantity(-this.unscaled, this.scale, this.format);
  }

  /** this × n for an integer n. */
  mul(n: number | bigint): Quantity {
    const u = this.unscaled * BigInt(n);
    return new Quantity(u, u === 0n ? 0 : this.scale, this.format);
  }

  /**
   * The value in units of 10^scale, rounded away from zero (so 100m has value() 1). Beyond
   * ±2^53 the result is approximate; upstream's int64 would overflow there instead.
   */
  scaledValue(scale: number): number {
    // Past 10^309 a double is infinite anyway; do not build the exact integer.
    if (this.unscaled !== 0n && digitCount(this.unscaled) + this.scale - scale > 309) return this.unscaled > 0n ? Infinity : -Infinity;
    return Number(this.scaledValueBig(scale));
  }

  /** As scaledValue, but exact. */
  scaledValueBig(scale: number): bigint {
    const diff = this.scale - scale;
    if (diff >= 0) return this.unscaled * pow10(diff);
    return divRoundUp(this.unscaled, -diff);
  }

  /** Thousandths of a unit, rounded up; cached. CPU requests are compared in these. */
  milliValue(): number {
    let v = this.cachedMilli;
    if (v === undefined) {
      v = this.scaledValue(-3);
      this.cachedMilli = v;
    }
    return v;
  }

  /** Whole units, rounded up (1.5 → 2, 100m → 1); cached. Memory is compared in these. */
  value(): number {
    let v = this.cachedValue;
    if (v === undefined) {
      v = this.scaledValue(0);
      this.cachedValue = v;
    }
    return v;
  }

  asApproximateFloat64(): number {
    return Number(this.unscaled) * 10 ** this.scale;
  }

  /** Kubernetes' serialization: the original text where upstream keeps it, else canonical. */
  toString(): string {
    let s = this.cachedString;
    if (s === undefined) {
      s = this.canonical();
      this.cachedString = s;
    }
    return s;
  }

  toJSON(): string {
    return this.toString();
  }

  // Brings two quantities to their common (smaller) scale.
  private static align(a: Quantity, b: Quantity): [bigint, bigint, number] {
    if (a.unscaled === 0n) return [0n, b.unscaled, b.scale];
    if (b.unscaled === 0n) return [a.unscaled, 0n, a.scale];
    if (a.scale === b.scale) return [a.unscaled, b.unscaled, a.scale];
    if (a.scale > b.scale) return [a.unscaled * pow10(a.scale - b.scale), b.unscaled, b.scale];
    return [a.unscaled, b.unscaled * pow10(b.scale - a.scale), a.scale];
  }

  private canonical(): string {
    if (this.unscaled === 0n) return '0';
    let format = this.format;
    if (format === 'BinarySI') {
      const integral = this.scale >= 0 || this.unscaled % pow10(-this.scale) === 0n;
      const small = this.cmp(ONE_KI) < 0 && this.cmp(MINUS_ONE_KI) > 0;
      if (small || !integral) format = 'DecimalSI';
      else return binaryCanonical(this.scaledValueBig(0));
    }
    let u = this.unscaled;
    let e = this.scale;
    while (u % 10n === 0n) { u /= 10n; e++; }
    const r = ((e % 3) + 3) % 3;
    if (r !== 0) { u *= pow10(r); e -= r; }
    if (format === 'DecimalExponent') return e === 0 ? u.toString() : `${u}e${e}`;
    // Upstream has no decimal suffix beyond E and would drop the exponent; keep the value instead.
    if (e > 18) { u *= pow10(e - 18); e = 18; }
    return u.toString() + (DECIMAL_SUFFIXES.get(e) ?? '');
  }
}

const ONE_KI = Quantity.fromValue(1024);
const MINUS_ONE_KI = Quantity.fromValue(-1024);

function binaryCanonical(v: bigint): string {
  let times = 0;
  let a = abs(v);
  while (a >= 1024n && a % 1024n === 0n && times < BINARY_SUFFIXES.length - 1) {
    a /= 1024n;
    times++;
  }
  return (v < 0n ? '-' : '') + a.toString() + BINARY_SUFFIXES[times]!;
}

/** Parses a quantity (Quantity.parse). */
export function parseQuantity(s: string): Quantity {
  return Quantity.parse(s);
}

/** The text a Kubernetes API server would store and return for this quantity. */
export function canonicalizeQuantity(s: string): string {
  return Quantity.parse(s).toString();
}
