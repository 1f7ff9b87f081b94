import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  FieldSelectorError, checkSupported, escapeValue, everythingFields, fieldSelectorFromSet, nothingFields, objectMetaFields,
  parseFieldSelector, unescapeValue,
} from './fields.js';

test('parse, requirements and canonical string', () => {
  const cases: [string, string, { field: string; operator: string; value: string }[]][] = [
    ['', '', []],
    ['metadata.name=x', 'metadata.name=x', [{ field: 'metadata.name', operator: '=', value: 'x' }]],
    ['metadata.name==x', 'metadata.name=x', [{ field: 'metadata.name', operator: '=', value: 'x' }]],
    ['status.phase!=Running', 'status.phase!=Running', [{ field: 'status.phase', operator: '!=', value: 'Running' }]],
    ['status.phase!=Running,metadata.name=x', 'metadata.name=x,status.phase!=Running', [
      { field: 'metadata.name', operator: '=', value: 'x' }, { field: 'status.phase', operator: '!=', value: 'Running' }]],
    ['spec.nodeName=', 'spec.nodeName=', [{ field: 'spec.nodeName', operator: '=', value: '' }]],
    ['a=b\\,c', 'a=b\\,c', [{ field: 'a', operator: '=', value: 'b,c' }]],
    ['a=b\\=c\\\\', 'a=b\\=c\\\\', [{ field: 'a', operator: '=', value: 'b=c\\' }]],
    ['a=1,,b=2,', 'a=1,b=2', [{ field: 'a', operator: '=', value: '1' }, { field: 'b', operator: '=', value: '2' }]],
    ['=x', '=x', [{ field: '', operator: '=', value: 'x' }]],
    ['a b=c d', 'a b=c d', [{ field: 'a b', operator: '=', value: 'c d' }]],
  ];
  for (const [input, str, reqs] of cases) {
    const s = parseFieldSelector(input);
    assert.equal(s.toString(), str, input);
    assert.deepEqual(s.requirements(), reqs, input);
  }
});

test('parse errors', () => {
  const cases: [string, string][] = [
    ['metadata.name', "invalid selector: 'metadata.name'; can't understand 'metadata.name'"],
    ['a=1,b', "invalid selector: 'a=1,b'; can't understand 'b'"],
    ['a=b=c', 'invalid field selector: unescaped character in value: 61'],
    ['a=b\\x', 'invalid field selector: invalid escape sequence: \\x'],
    ['a=b\\', 'invalid field selector: invalid escape sequence: \\'],
  ];
  for (const [input, msg] of cases) {
    assert.throws(() => parseFieldSelector(input), (e: unknown) =>
      e instanceof FieldSelectorError && e.message === msg && e.code === 400 && e.reason === 'BadRequest');
  }
});

test('matching: absent fields read as empty', () => {
  const fields = { 'metadata.name': 'web', 'status.phase': 'Running', 'spec.nodeName': '' };
  const cases: [string, boolean][] = [
    ['', true],
    ['metadata.name=web', true],
    ['metadata.name=db', false],
    ['status.phase!=Running', false],
    ['status.phase!=Pending', true],
    ['spec.nodeName=', true],
    ['spec.missing=', true],
    ['spec.missing!=x', true],
    ['spec.missing=x', false],
    ['metadata.name=web,status.phase=Running', true],
    ['metadata.name=web,status.phase=Failed', false],
  ];
  for (const [sel, want] of cases) assert.equal(parseFieldSelector(sel).matches(fields), want, sel);
  assert.ok(!nothingFields.matches(fields));
  assert.ok(everythingFields.matches(undefined));
  assert.ok(everythingFields.isEmpty());
  assert.ok(!nothingFields.isEmpty());
});

test('escaping round-trips', () => {
  for (const v of ['plain', 'a,b', 'a=b', 'a\\b', '\\,=', '']) assert.equal(unescapeValue(escapeValue(v)), v);
  assert.equal(escapeValue('a,b=c\\'), 'a\\,b\\=c\\\\');
});

test('unsupported fields answer the upstream 400s', () => {
  const sel = parseFieldSelector('metadata.name=x,spec.foo=y');
  assert.throws(() => checkSupported(sel, { supported: ['metadata.name', 'metadata.namespace', 'spec.nodeName'] }),
    (e: unknown) => e instanceof FieldSelectorError && e.message === 'field label not supported: spec.foo' &&
      JSON.stringify(e.toStatus()) === '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"field label not supported: spec.foo","reason":"BadRequest","code":400}');
  assert.throws(() => checkSupported(sel), { message: '"spec.foo" is not a known field selector: only "metadata.name", "metadata.namespace"' });
  checkSupported(parseFieldSelector('metadata.namespace=default'));
  checkSupported(sel, { supported: new Set(['metadata.name', 'spec.foo']) });
});

test('helpers', () => {
  const s = parseFieldSelector('spec.nodeName=n1,status.phase!=Failed');
  assert.equal(s.requiresExactMatch('spec.nodeName'), 'n1');
  assert.equal(s.requiresExactMatch('status.phase'), undefined);
  const t = s.transform((f, v) => (f === 'spec.nodeName' ? ['spec.host', v] : ['', '']));
  assert.equal(t.toString(), 'spec.host=n1');
  assert.deepEqual(objectMetaFields({ name: 'a', namespace: 'b' }, true), { 'metadata.name': 'a', 'metadata.namespace': 'b' });
  assert.deepEqual(objectMetaFields({ name: 'n' }, false), { 'metadata.name': 'n' });
  assert.equal(fieldSelectorFromSet({ b: '1', a: 'x,y' }).toString(), 'a=x\\,y,b=1');
});
