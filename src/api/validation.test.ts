import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';
import { fieldPath } from './errors.js';
import {
  formatIP, isConfigMapKey, isDns1035Label, isDns1123Label, isDns1123Subdomain, isEnvVarName, isQualifiedName,
  isValidCIDR, isValidIP, isValidLabelValue, isValidPortName, isValidPortNum, nameIsDnsLabel, nameIsDnsSubdomain,
  nameIsPathSegment, parseCIDR, parseIP, utf8Length, validateAnnotations, validateLabelSelector, validateLabels,
  validateObjectMeta, validateObjectMetaUpdate, validateFieldManager,
} from './validation.js';

const SUBDOMAIN_MSG = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1035_MSG = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const NAME_PART_MSG = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const VALUE_MSG = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

test('DNS names', () => {
  const cases: [(v: string) => string[], string, string[]][] = [
    [isDns1123Subdomain, 'example.com', []],
    [isDns1123Subdomain, 'a', []],
    [isDns1123Subdomain, 'Example', [SUBDOMAIN_MSG]],
    [isDns1123Subdomain, '-a', [SUBDOMAIN_MSG]],
    [isDns1123Subdomain, 'a'.repeat(254), ['must be no more than 253 characters']],
    [isDns1123Subdomain, '', [SUBDOMAIN_MSG]],
    [isDns1123Label, 'my-name', []],
    [isDns1123Label, '123', []],
    [isDns1123Label, 'a.b', ['must not contain dots']],
    [isDns1123Label, 'a_b', [LABEL_MSG]],
    [isDns1123Label, 'a'.repeat(64), ['must be no more than 63 characters']],
    [isDns1035Label, 'abc-123', []],
    [isDns1035Label, '1abc', [DNS1035_MSG]],
  ];
  for (const [fn, input, want] of cases) assert.deepEqual(fn(input), want, `${fn.name}(${input})`);
});

test('qualified names and label values', () => {
  const cases: [string, string[]][] = [
    ['app', []],
    ['app.kubernetes.io/name', []],
    ['A_b.C-d', []],
    ['-a', [NAME_PART_MSG]],
    ['/a', ['prefix part must be non-empty']],
    ['a/', ['name part must be non-empty', NAME_PART_MSG]],
    ['Example.com/a', ['prefix part ' + SUBDOMAIN_MSG]],
    ['a'.repeat(64), ['name part must be no more than 63 bytes']],
    ['a/b/c', ["a valid label key must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]],
  ];
  for (const [input, want] of cases) assert.deepEqual(isQualifiedName(input), want, input);

  const values: [string, string[]][] = [
    ['', []], ['v1.2_3-x', []], ['-x', [VALUE_MSG]], ['a'.repeat(64), ['must be no more than 63 bytes']], ['a b', [VALUE_MSG]],
  ];
  for (const [input, want] of values) assert.deepEqual(isValidLabelValue(input), want, input);
});

test('ports', () => {
  const nums: [number, string[]][] = [[1, []], [65535, []], [0, ['must be between 1 and 65535, inclusive']], [65536, ['must be between 1 and 65535, inclusive']]];
  for (const [n, want] of nums) assert.deepEqual(isValidPortNum(n), want);
  const names: [string, string[]][] = [
    ['http', []],
    ['h2c-9', []],
    ['123', ['must contain at least one letter (a-z)']],
    ['a--b', ['must not contain consecutive hyphens']],
    ['-ab', ['must not begin or end with a hyphen']],
    ['HTTP', ['must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)', 'must contain at least one letter (a-z)']],
    ['abcdefghijklmnop', ['must be no more than 15 characters']],
  ];
  for (const [n, want] of names) assert.deepEqual(isValidPortName(n), want, n);
});

test('misc formats', () => {
  assert.deepEqual(isEnvVarName('MY_VAR'), []);
  assert.equal(isEnvVarName('1X').length, 1);
  assert.deepEqual(isConfigMapKey('..x'), ["must not start with '..'"]);
  assert.equal(utf8Length('héllo'), 6);
  assert.equal(utf8Length('😀'), 4);
});

test('IP addresses', () => {
  const p = fieldPath('spec', 'clusterIP');
  const cases: [string, string[]][] = [
    ['10.9.8.7', []],
    ['2001:db8::ffff', []],
    ['::', []],
    ['::1', []],
    ['1.2.3', ['spec.clusterIP: Invalid value: "1.2.3": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)']],
    ['256.1.1.1', ['spec.clusterIP: Invalid value: "256.1.1.1": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)']],
    ['010.1.1.1', ['spec.clusterIP: Invalid value: "010.1.1.1": must not have leading 0s']],
    ['::ffff:1.2.3.4', ['spec.clusterIP: Invalid value: "::ffff:1.2.3.4": must not be an IPv4-mapped IPv6 address']],
    ['2001:DB8::1', ['spec.clusterIP: Invalid value: "2001:DB8::1": must be in canonical form ("2001:db8::1")']],
    ['2001:db8:0:0:0:0:0:1', ['spec.clusterIP: Invalid value: "2001:db8:0:0:0:0:0:1": must be in canonical form ("2001:db8::1")']],
    ['1:::2', ['spec.clusterIP: Invalid value: "1:::2": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)']],
  ];
  for (const [input, want] of cases) assert.deepEqual(isValidIP(p, input).map(String), want, input);

  const formats: [string, string][] = [
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['1:0:1:1:1:1:1:1', '1:0:1:1:1:1:1:1'],
    ['::1.2.3.4', '::102:304'],
    ['001.002.003.004', '1.2.3.4'],
  ];
  for (const [input, want] of formats) {
    const ip = parseIP(input);
    assert.ok(ip, input);
    assert.equal(formatIP(ip), want);
  }
});

test('CIDRs', () => {
  const p = fieldPath('spec', 'podCIDR');
  const cases: [string, string[]][] = [
    ['10.42.0.0/16', []],
    ['2001:db8::/64', []],
    ['10.42.0.1/16', ['spec.podCIDR: Invalid value: "10.42.0.1/16": must not have bits set beyond the prefix length']],
    ['10.42.0.0/33', ['spec.podCIDR: Invalid value: "10.42.0.0/33": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)']],
    ['10.42.0.0/016', ['spec.podCIDR: Invalid value: "10.42.0.0/016": must not have leading 0s in IP or prefix length']],
    ['2001:DB8::/64', ['spec.podCIDR: Invalid value: "2001:DB8::/64": must be in canonical form ("2001:db8::/64")']],
  ];
  for (const [input, want] of cases) assert.deepEqual(isValidCIDR(p, input).map(String), want, input);
  const c = parseCIDR('10.43.7.9/16');
  assert.ok(c);
  assert.equal(formatIP(c.network), '10.43.0.0');
});

test('validateObjectMeta', () => {
  const opts = { namespaced: true, nameValidator: nameIsDnsSubdomain };
  const cases: [ObjectMeta, { namespaced: boolean }, string[]][] = [
    [{ name: 'web', namespace: 'default' }, opts, []],
    [{ generateName: 'web-', namespace: 'default', name: 'web-abcde' }, opts, []],
    [{ namespace: 'default' }, opts, ['metadata.name: Required value: name or generateName is required']],
    [{ name: 'Web', namespace: 'default' }, opts, [`metadata.name: Invalid value: "Web": ${SUBDOMAIN_MSG}`]],
    [{ name: 'web' }, opts, ['metadata.namespace: Required value']],
    [{ name: 'web', namespace: 'a.b' }, opts, ['metadata.namespace: Invalid value: "a.b": must not contain dots']],
    [{ name: 'node1', namespace: 'default' }, { namespaced: false }, ['metadata.namespace: Forbidden: not allowed on this type']],
    [{ name: 'web', namespace: 'default', generation: -1 }, opts, ['metadata.generation: Invalid value: -1: must be greater than or equal to 0']],
    [{ name: 'web', namespace: 'default', labels: { '-x': 'ok', y: '-bad' } }, opts,
      [`metadata.labels: Invalid value: "-x": ${NAME_PART_MSG}`, `metadata.labels: Invalid value: "-bad": ${VALUE_MSG}`]],
    [{ name: 'web', namespace: 'default', finalizers: ['kubernetes.io/pvc-protection', 'bad/fin/x'] }, opts,
      ["metadata.finalizers: Invalid value: \"bad/fin/x\": a valid label key must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]],
    [{ name: 'web', namespace: 'default', finalizers: ['orphan', 'foregroundDeletion'] }, opts,
      ['metadata.finalizers: Invalid value: ["orphan","foregroundDeletion"]: finalizer orphan and foregroundDeletion cannot be both set']],
    [{ name: 'web', namespace: 'default', ownerReferences: [
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u1', controller: true },
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs2', uid: 'u2', controller: true },
      { apiVersion: 'a/b/c', kind: '', name: '', uid: '' },
    ] }, opts, [
      'metadata.ownerReferences: Invalid value: [{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"rs","uid":"u1","controller":true},{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"rs2","uid":"u2","controller":true},{"apiVersion":"a/b/c","kind":"","name":"","uid":""}]: Only one reference can have Controller set to true. Found "true" in references for ReplicaSet/rs and ReplicaSet/rs2',
      'metadata.ownerReferences[2].apiVersion: Invalid value: "a/b/c": must be <group>/<version> or <version>',
      'metadata.ownerReferences[2].kind: Required value: must not be empty',
      'metadata.ownerReferences[2].name: Required value: must not be empty',
      'metadata.ownerReferences[2].uid: Required value: must not be empty',
    ]],
    [{ name: 'web', namespace: 'default', ownerReferences: [{ apiVersion: 'v1', kind: 'Event', name: 'e', uid: 'u' }] }, opts,
      ['metadata.ownerReferences[0]: Invalid value: {"apiVersion":"v1","kind":"Event","name":"e","uid":"u"}: /v1, Kind=Event is disallowed from being an owner']],
  ];
  for (const [meta, o, want] of cases) {
    const got = validateObjectMeta(meta, { nameValidator: nameIsDnsSubdomain, ...o }, fieldPath('metadata'));
    // The ownerReferences case lists the controller error first only because it is raised at index 1.
    assert.deepEqual(got.map(String).sort(), [...want].sort(), JSON.stringify(meta));
  }
});

test('generateName prefixes may end in a dash', () => {
  const opts = { namespaced: true, nameValidator: nameIsDnsLabel };
  assert.deepEqual(validateObjectMeta({ generateName: 'web-', name: 'web-x', namespace: 'd' }, opts).map(String), []);
  assert.equal(validateObjectMeta({ generateName: 'Web-', name: 'web-x', namespace: 'd' }, opts)[0]?.field, 'metadata.generateName');
  assert.deepEqual(nameIsPathSegment('a/b', false), ["may not contain '/'"]);
  assert.deepEqual(nameIsPathSegment('..', false), ["may not be '..'"]);
});

test('annotations: case-insensitive keys and the 256 KiB total', () => {
  const p = fieldPath('metadata', 'annotations');
  assert.deepEqual(validateAnnotations({ 'Example.com/Key': 'x' }, p), []);
  assert.deepEqual(validateAnnotations({ big: 'x'.repeat(256 * 1024) }, p).map(String),
    ['metadata.annotations: Too long: may not be more than 262144 bytes']);
  assert.deepEqual(validateLabels({ ok: 'yes' }, p), []);
});

test('validateObjectMetaUpdate', () => {
  const old: ObjectMeta = { name: 'web', namespace: 'default', uid: 'u1', resourceVersion: '5', generation: 2, creationTimestamp: '2024-01-01T00:00:00Z' };
  const cases: [ObjectMeta, ObjectMeta, string[]][] = [
    [{ ...old }, old, []],
    [{ ...old, resourceVersion: undefined }, old, ['metadata.resourceVersion: Invalid value: "": must be specified for an update']],
    [{ ...old, name: 'other' }, old, ['metadata.name: Invalid value: "other": field is immutable']],
    [{ ...old, uid: 'u2' }, old, ['metadata.uid: Invalid value: "u2": field is immutable']],
    [{ ...old, generation: 1 }, old, ['metadata.generation: Invalid value: 1: must not be decremented']],
    [{ ...old, creationTimestamp: '2025-01-01T00:00:00Z' }, old, ['metadata.creationTimestamp: Invalid value: "2025-01-01T00:00:00Z": field is immutable']],
    [{ ...old, deletionTimestamp: '2025-01-01T00:00:00Z' }, old, ['metadata.deletionTimestamp: Invalid value: "2025-01-01T00:00:00Z": field is immutable']],
    [{ ...old, deletionTimestamp: '2025-01-01T00:00:00Z', finalizers: ['b', 'a', 'keep'] },
      { ...old, deletionTimestamp: '2025-01-01T00:00:00Z', finalizers: ['keep'] },
      ['metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"a", "b"}']],
    [{ ...old, deletionGracePeriodSeconds: 30 }, old, ['metadata.deletionGracePeriodSeconds: Invalid value: 30: field is immutable']],
  ];
  for (const [n, o, want] of cases) assert.deepEqual(validateObjectMetaUpdate(n, o).map(String), want);
});

test('validateLabelSelector', () => {
  const p = fieldPath('spec', 'selector');
  const got = validateLabelSelector({
    matchLabels: { app: 'web' },
    matchExpressions: [
      { key: 'tier', operator: 'In', values: [] },
      { key: 'env', operator: 'Exists', values: ['x'] },
      { key: 'x', operator: 'Gt', values: ['1'] },
      { key: 'y', operator: 'In', values: ['-bad'] },
    ],
  }, {}, p).map(String);
  assert.deepEqual(got, [
    "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
    "spec.selector.matchExpressions[1].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
    'spec.selector.matchExpressions[2].operator: Invalid value: "Gt": not a valid selector operator',
    `spec.selector.matchExpressions[3].values[0]: Invalid value: "-bad": ${VALUE_MSG}`,
  ]);
});

test('field manager names', () => {
  const p = fieldPath('fieldManager');
  assert.deepEqual(validateFieldManager('kubectl-client-side-apply', p), []);
  assert.deepEqual(validateFieldManager('a\x07b', p).map(String), ['fieldManager: Invalid value: "a\\ab": invalid character U+0007 (at position 1)']);
  assert.deepEqual(validateFieldManager('x'.repeat(129), p).map(String), ['fieldManager: Too long: may not be more than 128 bytes']);
});
