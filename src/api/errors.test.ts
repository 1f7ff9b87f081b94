import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ApiError, FieldError, aggregateMessage, alreadyExists, badRequest, conflict, field, fieldPath, forbidden,
  gone, goQuote, hasReason, internalError, invalid, isApiError, methodNotSupported, notAcceptable, notFound,
  requestEntityTooLarge, resourceExpired, serverTimeout, serviceUnavailable, timeout, tooManyRequests,
  tooManyRequestsError, tooOldResourceVersion, unauthorized, unsupportedMediaType, generateNameConflict,
} from './errors.js';

const pods = { group: '', resource: 'pods' };
const deployments = { group: 'apps', resource: 'deployments' };

test('field paths render as upstream', () => {
  const cases: [string, string][] = [
    [fieldPath('spec').child('containers').index(0).key('x').toString(), 'spec.containers[0][x]'],
    [fieldPath('metadata', 'labels').key('app').toString(), 'metadata.labels[app]'],
    [fieldPath('spec').child('a', 'b').index(2).child('c').toString(), 'spec.a.b[2].c'],
    [fieldPath('x').toString(), 'x'],
  ];
  for (const [got, want] of cases) assert.equal(got, want);
});

test('field errors render with upstream text', () => {
  const p = fieldPath('spec');
  const cases: [FieldError, string, string][] = [
    [field.invalid(p.child('replicas'), -1, 'must be greater than or equal to 0'),
      'spec.replicas: Invalid value: -1: must be greater than or equal to 0', 'FieldValueInvalid'],
    [field.required(fieldPath('metadata', 'name'), 'name or generateName is required'),
      'metadata.name: Required value: name or generateName is required', 'FieldValueRequired'],
    [field.required(p.child('x')), 'spec.x: Required value', 'FieldValueRequired'],
    [field.notSupported(p.child('foo'), 'x', ['a', 'b']),
      'spec.foo: Unsupported value: "x": supported values: "a", "b"', 'FieldValueNotSupported'],
    [field.notSupported(p.child('foo'), 'x', []), 'spec.foo: Unsupported value: "x"', 'FieldValueNotSupported'],
    [field.tooLong(fieldPath('metadata', 'name'), 63), 'metadata.name: Too long: may not be more than 63 bytes', 'FieldValueTooLong'],
    [field.tooLong(p, 1), 'spec: Too long: may not be more than 1 byte', 'FieldValueTooLong'],
    [field.tooLong(p, -1), 'spec: Too long: value is too long', 'FieldValueTooLong'],
    [field.tooLongCharacters(p, 10), 'spec: Too long: may not be more than 10 characters', 'FieldValueTooLong'],
    [field.tooMany(p.child('items'), 5, 3), 'spec.items: Too many: 5: must have at most 3 items', 'FieldValueTooMany'],
    [field.tooMany(p.child('items'), -1, 1), 'spec.items: Too many: must have at most 1 item', 'FieldValueTooMany'],
    [field.tooFew(p.child('items'), 0, 1), 'spec.items: Too few: 0: must have at least 1 item', 'FieldValueTooFew'],
    [field.duplicate(p.child('ports').index(1), 'http'), 'spec.ports[1]: Duplicate value: "http"', 'FieldValueDuplicate'],
    [field.forbidden(p.child('nodeName'), 'may not be set'), 'spec.nodeName: Forbidden: may not be set', 'FieldValueForbidden'],
    [field.notFound(p.child('ref'), 'x'), 'spec.ref: Not found: "x"', 'FieldValueNotFound'],
    [field.typeInvalid(p.child('n'), 'abc', 'must be an integer'), 'spec.n: Invalid value: "abc": must be an integer', 'FieldValueTypeInvalid'],
    [field.invalid(p.child('flag'), true, 'bad'), 'spec.flag: Invalid value: true: bad', 'FieldValueInvalid'],
    [field.invalid(p.child('list'), ['a', 'b<'], 'bad'), 'spec.list: Invalid value: ["a","b\\u003c"]: bad', 'FieldValueInvalid'],
    [field.invalid(p.child('nil'), null, ''), 'spec.nil: Invalid value: null', 'FieldValueInvalid'],
    [field.invalid(p.child('s'), 'a"b\n', 'x'), 'spec.s: Invalid value: "a\\"b\\n": x', 'FieldValueInvalid'],
    [field.tooShort(p.child('s'), 'a', 2), 'spec.s: Too short: must be at least 2 characters', 'FieldValueTooShort'],
    [field.internal(p, new Error('boom')), 'spec: Internal error: boom', 'InternalError'],
  ];
  for (const [err, want, type] of cases) {
    assert.equal(err.toString(), want);
    assert.equal(err.type, type);
  }
});

test('goQuote follows strconv.Quote', () => {
  const cases: [string, string][] = [
    ['abc', '"abc"'], ['a\tb', '"a\\tb"'], ['\x00', '"\\x00"'], ['\x7f', '"\\x7f"'], ['é', '"é"'],
    ['\u200b', '"\\u200b"'], ['a b', '"a b"'], ['\\', '"\\\\"'],
  ];
  for (const [input, want] of cases) assert.equal(goQuote(input), want);
});

test('aggregate formatting: one bare, several bracketed, duplicates dropped', () => {
  assert.equal(aggregateMessage([]), '');
  assert.equal(aggregateMessage(['a']), 'a');
  assert.equal(aggregateMessage(['a', 'b', 'a']), '[a, b]');
  assert.equal(aggregateMessage(['a', 'a']), 'a');
});

test('ApiError helpers produce upstream Status bodies', () => {
  const cases: [ApiError, unknown][] = [
    [notFound(pods, 'x'), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
      message: 'pods "x" not found', reason: 'NotFound', details: { name: 'x', kind: 'pods' }, code: 404 }],
    [notFound(deployments, 'web'), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
      message: 'deployments.apps "web" not found', reason: 'NotFound',
      details: { name: 'web', group: 'apps', kind: 'deployments' }, code: 404 }],
    [alreadyExists(pods, 'x'), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
      message: 'pods "x" already exists', reason: 'AlreadyExists', details: { name: 'x', kind: 'pods' }, code: 409 }],
    [conflict(pods, 'x'), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
      message: 'Operation cannot be fulfilled on pods "x": the object has been modified; please apply your changes to the latest version and try again',
      reason: 'Conflict', details: { name: 'x', kind: 'pods' }, code: 409 }],
    [badRequest('bad'), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'bad', reason: 'BadRequest', code: 400 }],
    [unauthorized(), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'not authorized', reason: 'Unauthorized', code: 401 }],
    [unauthorized('Unauthorized'), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 }],
    [forbidden({ group: '', resource: 'namespaces' }, '', 'User "bob" cannot list resource "namespaces" in API group "" at the cluster scope'),
      { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
        message: 'namespaces is forbidden: User "bob" cannot list resource "namespaces" in API group "" at the cluster scope',
        reason: 'Forbidden', details: { kind: 'namespaces' }, code: 403 }],
    [forbidden({ group: '', resource: '' }, '', 'no'), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
      message: 'forbidden: no', reason: 'Forbidden', details: {}, code: 403 }],
    [methodNotSupported(deployments, 'watch'), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
      message: 'watch is not supported on resources of kind "deployments.apps"', reason: 'MethodNotAllowed',
      details: { group: 'apps', kind: 'deployments' }, code: 405 }],
    [tooOldResourceVersion(5, 10), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
      message: 'too old resource version: 5 (10)', reason: 'Expired', code: 410 }],
    [gone('gone'), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'gone', reason: 'Gone', code: 410 }],
    [resourceExpired('x'), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'x', reason: 'Expired', code: 410 }],
    [requestEntityTooLarge('limit is 3145728'), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
      message: 'Request entity too large: limit is 3145728', reason: 'RequestEntityTooLarge', code: 413 }],
    [unsupportedMediaType(['application/json', 'application/yaml']), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
      message: 'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml',
      reason: 'UnsupportedMediaType', code: 415 }],
    [notAcceptable(['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf']), { kind: 'Status', apiVersion: 'v1', metadata: {},
      status: 'Failure', message: 'only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf',
      reason: 'NotAcceptable', code: 406 }],
    [tooManyRequests('Cannot evict pod', 10), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
      message: 'Cannot evict pod', reason: 'TooManyRequests', details: { retryAfterSeconds: 10 }, code: 429 }],
    [tooManyRequests('x'), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
      message: 'x', reason: 'TooManyRequests', details: {}, code: 429 }],
    [tooManyRequestsError('slow down'), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
      message: 'Too many requests: slow down', reason: 'TooManyRequests', code: 429 }],
    [internalError(new Error('disk full')), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
      message: 'Internal error occurred: disk full', reason: 'InternalError', details: { causes: [{ message: 'disk full' }] }, code: 500 }],
    [serviceUnavailable('not ready'), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
      message: 'not ready', reason: 'ServiceUnavailable', code: 503 }],
    [timeout('request did not complete within 60s', 2), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
      message: 'Timeout: request did not complete within 60s', reason: 'Timeout', details: { retryAfterSeconds: 2 }, code: 504 }],
    [serverTimeout(pods, 'create', 2), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
      message: 'The create operation against pods could not be completed at this time, please try again.', reason: 'ServerTimeout',
      details: { name: 'create', kind: 'pods', retryAfterSeconds: 2 }, code: 500 }],
    [generateNameConflict(pods, 'web-abcde', 1), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
      message: 'pods "web-abcde" already exists, the server was not able to generate a unique name for the object', reason: 'AlreadyExists',
      details: { name: 'web-abcde', kind: 'pods', retryAfterSeconds: 1 }, code: 409 }],
  ];
  for (const [err, want] of cases) {
    assert.deepEqual(err.toStatus(), want);
    assert.ok(isApiError(err));
    assert.equal(err.message, (want as { message: string }).message);
  }
});

test('Status JSON keeps the Kubernetes key order', () => {
  assert.equal(JSON.stringify(notFound(pods, 'x').toStatus()),
    '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \\"x\\" not found","reason":"NotFound","details":{"name":"x","kind":"pods"},"code":404}');
});

test('invalid: single cause bare, several bracketed, causes carry reason/message/field', () => {
  const gk = { group: '', kind: 'Pod' };
  const one = invalid(gk, 'x', [field.required(fieldPath('spec', 'containers').index(0).child('image'))]);
  assert.equal(one.message, 'Pod "x" is invalid: spec.containers[0].image: Required value');
  assert.equal(one.code, 422);
  assert.deepEqual(one.toStatus().details, { name: 'x', kind: 'Pod', causes: [
    { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.containers[0].image' }] });

  const two = invalid({ group: 'apps', kind: 'Deployment' }, 'web', [
    field.required(fieldPath('spec', 'containers').index(0).child('image')),
    field.invalid(fieldPath('spec', 'replicas'), -1, 'must be greater than or equal to 0'),
  ]);
  assert.equal(two.message, 'Deployment.apps "web" is invalid: [spec.containers[0].image: Required value, spec.replicas: Invalid value: -1: must be greater than or equal to 0]');
  assert.equal(two.toStatus().details?.group, 'apps');

  const none = invalid(gk, 'x', []);
  assert.equal(none.message, 'Pod "x" is invalid');
  assert.deepEqual(none.toStatus().details, { name: 'x', kind: 'Pod' });
});

test('hasReason and fromStatus', () => {
  const e = notFound(pods, 'x');
  assert.ok(hasReason(e, 'NotFound'));
  assert.ok(!hasReason(e, 'Conflict'));
  assert.ok(!hasReason(new Error('x'), 'NotFound'));
  assert.ok(!isApiError(new Error('x')));
  const back = ApiError.fromStatus(e.toStatus());
  assert.deepEqual(back.toStatus(), e.toStatus());
  assert.ok(e instanceof Error);
});
