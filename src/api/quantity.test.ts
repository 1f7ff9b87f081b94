import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ERR_FORMAT_WRONG, ERR_SUFFIX, Quantity, QuantityError, canonicalizeQuantity, parseQuantity } from './quantity.js';

test('canonical serialization', () => {
  const cases: [string, string][] = [
    ['0', '0'], ['0m', '0'], ['0Ki', '0'], ['-0', '0'], ['00', '0'], ['0.0', '0'],
    ['1', '1'], ['1000m', '1'], ['10000m', '10'], ['0.5', '500m'], ['.5', '500m'], ['1.5', '1500m'], ['1.0', '1'],
    ['100m', '100m'], ['1080m', '1080m'], ['1.08', '1080m'], ['1080000000n', '1080m'],
    ['1024Mi', '1Gi'], ['1Gi', '1Gi'], ['2Gi', '2Gi'], ['50Gi', '50Gi'], ['500Mi', '500Mi'], ['307200Ki', '300Mi'],
    ['1025024Mi', '1001Gi'], ['1.5Gi', '1536Mi'], ['0.5Gi', '512Mi'], ['0.5Ki', '512'], ['1025Ki', '1025Ki'],
    ['.001Ki', '1024m'], ['.000001Ki', '1024u'], ['.000000001Ki', '1024n'], ['.000000000001Ki', '2n'],
    ['-.001Ki', '-1024m'], ['-1024Mi', '-1Gi'], ['-.000000000001Ki', '-2n'],
    ['16G', '16G'], ['1000M', '1G'], ['0.001T', '1G'], ['3k', '3k'], ['50k', '50k'], ['1E', '1E'], ['1000E', '1000E'],
    ['1e3', '1e3'], ['10e2', '1e3'], ['1E6', '1E6'], ['1e-3', '1e-3'], ['0.001e0', '1e-3'], ['.001e12', '1e9'], ['1000e-12', '1e-9'],
    ['80e-3', '80e-3'], ['300e6', '300e6'], ['1e+3', '1e+3'],
    ['0.0000000001', '1n'], ['1.0000000001', '1000000001n'], ['-0.0000000001', '-1n'],
    // upstream keeps the text it parsed when already in a form it would not rewrite
    ['+1', '+1'], ['01', '01'], ['1.', '1.'], ['12Mi', '12Mi'],
    // a dot, or a sign alone, reads as zero
    ['.', '0'], ['-', '0'], ['+', '0'],
  ];
  for (const [input, want] of cases) {
    assert.equal(parseQuantity(input).toString(), want, input);
    assert.equal(canonicalizeQuantity(input), want, input);
  }
});

test('formats', () => {
  const cases: [string, string][] = [
    ['1', 'DecimalSI'], ['1Ki', 'BinarySI'], ['1e3', 'DecimalExponent'], ['0.5Ki', 'BinarySI'], ['.0001Ki', 'DecimalSI'],
    ['0', 'DecimalSI'], ['0Mi', 'BinarySI'],
  ];
  for (const [input, want] of cases) assert.equal(parseQuantity(input).format, want, input);
});

test('malformed input is rejected with upstream messages', () => {
  assert.equal(ERR_FORMAT_WRONG, "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
  const cases: [string, string][] = [
    ['', ERR_FORMAT_WRONG], ['abc', ERR_FORMAT_WRONG], ['1.2.3', ERR_FORMAT_WRONG], [' 1', ERR_FORMAT_WRONG], ['1 ', ERR_FORMAT_WRONG],
    ['1MiB', ERR_FORMAT_WRONG], ['1Mi ', ERR_FORMAT_WRONG], ['--1', ERR_SUFFIX],
    ['1K', ERR_SUFFIX], ['1mm', ERR_SUFFIX], ['1e', ERR_SUFFIX], ['1Ki3', ERR_SUFFIX], ['1Ee3', ERR_SUFFIX],
    ['1e99999999999999999999', ERR_SUFFIX],
  ];
  for (const [input, msg] of cases) {
    assert.throws(() => parseQuantity(input), (e: unknown) => e instanceof QuantityError && e.message === msg, JSON.stringify(input));
  }
});

test('milliValue and value round up', () => {
  const cases: [string, number, number][] = [
    ['100m', 100, 1], ['1', 1000, 1], ['1.5', 1500, 2], ['2Gi', 2147483648000, 2147483648], ['500Mi', 524288000000, 524288000],
    ['1n', 1, 1], ['1001u', 2, 1], ['0', 0, 0], ['-100m', -100, -1], ['-1.5', -1500, -2], ['1e3', 1000000, 1000], ['16G', 16e12, 16e9],
  ];
  for (const [input, milli, value] of cases) {
    const q = parseQuantity(input);
    assert.equal(q.milliValue(), milli, `${input} milli`);
    assert.equal(q.value(), value, `${input} value`);
    // cached answers are the same
    assert.equal(q.milliValue(), milli);
    assert.equal(q.value(), value);
  }
  assert.equal(parseQuantity('1e400').value(), Infinity);
  assert.equal(parseQuantity('1e400').scaledValueBig(398), 100n);
  assert.equal(parseQuantity('5').scaledValue(3), 1);
});

test('cmp, equal, add, sub', () => {
  const cmp: [string, string, number][] = [
    ['1', '1000m', 0], ['1Gi', '1024Mi', 0], ['1G', '1Gi', -1], ['100m', '0.1', 0], ['2', '1999m', 1], ['-1', '1', -1],
    ['0', '-1n', 1], ['1e100', '1', 1], ['1e-9', '1e100', -1], ['-1e100', '-1', -1], ['0', '0Ki', 0], ['1e3', '1k', 0],
  ];
  for (const [a, b, want] of cmp) {
    assert.equal(parseQuantity(a).cmp(parseQuantity(b)), want, `${a} vs ${b}`);
    assert.equal(parseQuantity(b).cmp(parseQuantity(a)), want === 0 ? 0 : -want, `${b} vs ${a}`);
  }
  assert.ok(parseQuantity('1').equal(parseQuantity('1000m')));

  const sums: [string, string, string, string][] = [
    ['100m', '900m', '1', '-800m'],
    ['1Gi', '1Gi', '2Gi', '0'],
    ['1Gi', '512Mi', '1536Mi', '512Mi'],
    ['0', '1Gi', '1Gi', '-1Gi'],
    ['1', '1Ki', '1025', '-1023'],
    ['1.5', '0.25', '1750m', '1250m'],
  ];
  for (const [a, b, sum, diff] of sums) {
    assert.equal(parseQuantity(a).add(parseQuantity(b)).toString(), sum, `${a}+${b}`);
    assert.equal(parseQuantity(a).sub(parseQuantity(b)).toString(), diff, `${a}-${b}`);
  }
  assert.equal(parseQuantity('250m').mul(4).toString(), '1');
  assert.equal(parseQuantity('1Gi').neg().toString(), '-1Gi');
});

test('constructors and JSON', () => {
  assert.equal(Quantity.fromMilli(1500).toString(), '1500m');
  assert.equal(Quantity.fromMilli(2000).toString(), '2');
  assert.equal(Quantity.fromValue(1024 * 1024, 'BinarySI').toString(), '1Mi');
  assert.equal(Quantity.fromValue(5, 'BinarySI').toString(), '5');
  assert.equal(Quantity.fromValue(3000).toString(), '3k');
  assert.equal(Quantity.scaled(108, -2).toString(), '1080m');
  assert.equal(Quantity.scaled(10800, -10).toString(), '1080n');
  assert.equal(Quantity.scaled(1, 9, 'DecimalExponent').toString(), '1e9');
  assert.equal(Quantity.scaled(1234567, -3, 'BinarySI').toString(), '1234567m');
  assert.equal(Quantity.zero.toString(), '0');
  assert.equal(JSON.stringify({ cpu: parseQuantity('1000m') }), '{"cpu":"1"}');
  assert.equal(Quantity.fromJSON(' 2Gi ').toString(), '2Gi');
  assert.equal(Quantity.fromJSON(1.5).toString(), '1500m');
  assert.throws(() => Quantity.fromJSON(null), QuantityError);
  assert.equal(parseQuantity('2Gi').asApproximateFloat64(), 2147483648);
});

test('binary quantities are capped at the largest int64', () => {
  assert.equal(parseQuantity('9Ei').toString(), '9223372036854775807');
  assert.equal(parseQuantity('7Ei').toString(), '7Ei');
});
