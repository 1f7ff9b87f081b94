import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fieldPath } from './errors.js';
import {
  LabelSelectorError, Requirement, everything, formatLabels, fromLabelSelector, newRequirement, nothing, parseSelector,
  selectorFromSet,
} from './labels.js';

const VALUE_MSG = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const NAME_PART_MSG = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

test('parse and print round-trip in canonical form', () => {
  const cases: [string, string][] = [
    ['', ''],
    ['  ', ''],
    ['a=b', 'a=b'],
    ['a==b', 'a==b'],
    ['a!=b', 'a!=b'],
    ['x=a,y=b,z=c', 'x=a,y=b,z=c'],
    ['z=c, y=b ,x=a', 'x=a,y=b,z=c'],
    ['a in (z,x, y)', 'a in (x,y,z)'],
    ['a notin (x)', 'a notin (x)'],
    ['a', 'a'],
    ['!a', '!a'],
    [' !a , b ', '!a,b'],
    ['a>1', 'a>1'],
    ['a<5', 'a<5'],
    ['a=', 'a='],
    ['a=,b', 'a=,b'],
    ['a in ()', 'a in ()'],
    ['a in (,b)', 'a in (,b)'],
    ['a in (b,,c)', 'a in (,b,c)'],
    ['a in (b,)', 'a in (,b)'],
    ['x=in', 'x=in'],
    ['in=notin', 'in=notin'],
    ['app.kubernetes.io/name=web', 'app.kubernetes.io/name=web'],
    ['a\tin\n(b)', 'a in (b)'],
  ];
  for (const [input, want] of cases) assert.equal(parseSelector(input).toString(), want, input);
});

test('parse errors carry upstream messages and answer 400', () => {
  const cases: [string, string][] = [
    ['a=b c', "found 'c', expected: ',' or 'end of string'"],
    ['a,', "found '', expected: identifier after ','"],
    [',a', "found ',', expected: !, identifier, or 'end of string'"],
    ['=a', "found '=', expected: !, identifier, or 'end of string'"],
    ['a b', "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"],
    ['a in b', "unable to parse requirement: found 'b' expected: '('"],
    ['a in (b', "unable to parse requirement: found '', expected: ',' or ')'"],
    ['a in (b c)', "unable to parse requirement: found 'c', expected: ',' or ')'"],
    ['a in (=)', "unable to parse requirement: found '=', expected: ',', ')' or identifier"],
    ['a in (b,=)', "unable to parse requirement: found '=', expected: ',', or identifier"],
    ['a=(b)', "unable to parse requirement: found '(', expected: identifier"],
    ['!', "unable to parse requirement: found '', expected: identifier"],
    ['!a=b', "found '=', expected: ',' or 'end of string'"],
    ['-a=b', `unable to parse requirement: <nil>: Invalid value: "-a": ${NAME_PART_MSG}`],
    ['a=-b', `unable to parse requirement: values[0][a]: Invalid value: "-b": ${VALUE_MSG}`],
    ['a>b', `unable to parse requirement: values[0]: Invalid value: "b": for 'Gt', 'Lt' operators, the value must be an integer`],
    ['a>-b', `unable to parse requirement: [values[0]: Invalid value: "-b": for 'Gt', 'Lt' operators, the value must be an integer, values[0][a]: Invalid value: "-b": ${VALUE_MSG}]`],
    ['a>99999999999999999999', `unable to parse requirement: values[0]: Invalid value: "99999999999999999999": for 'Gt', 'Lt' operators, the value must be an integer`],
  ];
  for (const [input, want] of cases) {
    assert.throws(() => parseSelector(input), (e: unknown) => {
      assert.ok(e instanceof LabelSelectorError, input);
      assert.equal(e.message, want, input);
      assert.equal(e.code, 400);
      assert.equal(e.toStatus().reason, 'BadRequest');
      return true;
    });
  }
});

test('a path option prefixes field errors', () => {
  assert.throws(() => parseSelector('a=-b', fieldPath('spec', 'selector')),
    { message: `unable to parse requirement: spec.selector.values[0][a]: Invalid value: "-b": ${VALUE_MSG}` });
});

test('matching', () => {
  const labels = { app: 'web', tier: 'frontend', rank: '5', empty: '' };
  const cases: [string, Record<string, string> | undefined, boolean][] = [
    ['', labels, true],
    ['', undefined, true],
    ['app=web', labels, true],
    ['app==web', labels, true],
    ['app=db', labels, false],
    ['app!=db', labels, true],
    ['missing!=x', labels, true],
    ['app!=web', labels, false],
    ['tier in (frontend,backend)', labels, true],
    ['tier in (backend)', labels, false],
    ['missing in (a)', labels, false],
    ['tier notin (backend)', labels, true],
    ['missing notin (x)', labels, true],
    ['tier notin (frontend,backend)', labels, false],
    ['app', labels, true],
    ['missing', labels, false],
    ['!missing', labels, true],
    ['!app', labels, false],
    ['empty=', labels, true],
    ['missing=', labels, false],
    ['rank>4', labels, true],
    ['rank>5', labels, false],
    ['rank<6', labels, true],
    ['app>1', labels, false],
    ['missing<1', labels, false],
    ['app=web,tier=frontend,rank>1', labels, true],
    ['app=web,tier=backend', labels, false],
    ['constructor', {}, false],
    ['!constructor', {}, true],
    ['app=web', undefined, false],
    ['!app', undefined, true],
  ];
  for (const [sel, l, want] of cases) assert.equal(parseSelector(sel).matches(l), want, `${sel} on ${JSON.stringify(l)}`);
});

test('everything, nothing, emptiness', () => {
  assert.ok(everything.isEmpty());
  assert.ok(everything.matches({ a: 'b' }));
  assert.ok(!nothing.isEmpty());
  assert.ok(nothing.matchesNothing());
  assert.ok(!nothing.matches({}));
  assert.equal(nothing.toString(), '');
  assert.ok(parseSelector('').isEmpty());
  assert.ok(!parseSelector('a').isEmpty());
});

test('fromLabelSelector', () => {
  const cases: [Parameters<typeof fromLabelSelector>[0], string, Record<string, string>, boolean][] = [
    [undefined, '', { a: 'b' }, false],
    [{}, '', { a: 'b' }, true],
    [{ matchLabels: { app: 'web', tier: 'fe' } }, 'app=web,tier=fe', { app: 'web', tier: 'fe' }, true],
    [{ matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'dev'] }] }, 'env in (dev,prod)', { env: 'dev' }, true],
    [{ matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] }, 'env notin (prod)', { env: 'prod' }, false],
    [{ matchExpressions: [{ key: 'env', operator: 'Exists' }] }, 'env', {}, false],
    [{ matchExpressions: [{ key: 'env', operator: 'DoesNotExist' }] }, '!env', {}, true],
    [{ matchLabels: { z: '1' }, matchExpressions: [{ key: 'a', operator: 'Exists' }] }, 'a,z=1', { a: 'x', z: '1' }, true],
  ];
  for (const [ls, str, labels, want] of cases) {
    const s = fromLabelSelector(ls);
    assert.equal(s.toString(), str);
    assert.equal(s.matches(labels), want, JSON.stringify(ls));
  }
  const errs: [Parameters<typeof fromLabelSelector>[0], string][] = [
    [{ matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] }, '"Gt" is not a valid label selector operator'],
    [{ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }, "values: Invalid value: []: for 'in', 'notin' operators, values set can't be empty"],
    [{ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }, 'values: Invalid value: ["x"]: values set must be empty for exists and does not exist'],
    [{ matchLabels: { '-a': 'b' } }, `key: Invalid value: "-a": ${NAME_PART_MSG}`],
  ];
  for (const [ls, msg] of errs) {
    assert.throws(() => fromLabelSelector(ls), (e: unknown) => e instanceof LabelSelectorError && e.message === msg && e.fieldErrors.length <= 1);
  }
});

test('newRequirement validates operators', () => {
  assert.throws(() => newRequirement('a', 'bogus' as 'in', ['x']),
    { message: 'operator: Unsupported value: "bogus": supported values: "in", "notin", "=", "==", "!=", "gt", "lt", "exists", "!"' });
  assert.throws(() => newRequirement('a', '=', ['x', 'y']), { message: 'values: Invalid value: ["x","y"]: exact-match compatibility requires one single value' });
  assert.equal(newRequirement('a', 'in', ['y', 'x']).toString(), 'a in (x,y)');
});

test('requiresExactMatch, add, selectorFromSet, formatLabels', () => {
  const s = parseSelector('app=web,tier in (fe),env in (a,b),x!=y');
  assert.equal(s.requiresExactMatch('app'), 'web');
  assert.equal(s.requiresExactMatch('tier'), 'fe');
  assert.equal(s.requiresExactMatch('env'), undefined);
  assert.equal(s.requiresExactMatch('x'), undefined);
  assert.equal(s.requiresExactMatch('none'), undefined);
  assert.equal(s.add(new Requirement('b', 'exists', [])).toString(), 'app=web,b,env in (a,b),tier in (fe),x!=y');
  assert.equal(selectorFromSet({ b: '2', a: '1' }).toString(), 'a=1,b=2');
  assert.ok(selectorFromSet({}).isEmpty());
  assert.equal(formatLabels({ b: '2', a: '1' }), 'a=1,b=2');
});
