// Tests for unknown- and duplicate-field detection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { definitionForKind, fieldValidationProblems, findDuplicateFields, findUnknownFields, strictDecodingMessage } from './schema_check.js';

const POD = { group: '', version: 'v1', kind: 'Pod' };
const DEPLOYMENT = { group: 'apps', version: 'v1', kind: 'Deployment' };

function deployment(): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { app: 'web', 'any/key': 'x' }, annotations: { a: 'b' }, managedFields: [{ manager: 'm', fieldsV1: { 'f:spec': { 'f:x': {} } } }] },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            { name: 'web', image: 'nginx', ports: [{ containerPort: 80 }], resources: { limits: { cpu: '1' } }, readinessProbe: { httpGet: { port: 'http', path: '/' } } },
          ],
          volumes: [{ name: 'v', emptyDir: {} }],
        },
      },
    },
    status: { replicas: 0 },
  };
}

test('a valid object has no unknown fields', () => {
  assert.deepEqual(findUnknownFields(DEPLOYMENT, deployment()), []);
});

test('unknown fields are reported with upstream paths', () => {
  const d = deployment();
  const spec = d.spec as Record<string, unknown>;
  spec.foo = 1;
  const tmpl = (spec.template as { spec: { containers: Array<Record<string, unknown>> } }).spec;
  tmpl.containers.push({ name: 'b', image: 'x', imagee: 'typo', ports: [{ containerPort: 1, bogus: true }] });
  d.extra = {};
  assert.deepEqual(findUnknownFields(DEPLOYMENT, d), [
    'spec.template.spec.containers[1].imagee',
    'spec.template.spec.containers[1].ports[0].bogus',
    'spec.foo', // added after template: document order
    'extra',
  ]);
  assert.deepEqual(findUnknownFields(POD, { metadata: { name: 'p', Name: 'q' }, spec: { containers: [] } }), ['metadata.Name']);
});

test('kinds without a schema are reported as unknown kinds; subresource kinds have schemas', () => {
  assert.equal(findUnknownFields({ group: 'example.com', version: 'v1', kind: 'Widget' }, {}), undefined);
  assert.equal(definitionForKind({ group: 'autoscaling', version: 'v1', kind: 'Scale' }), 'io.k8s.api.autoscaling.v1.Scale');
  assert.equal(definitionForKind({ group: 'apps', version: 'v1', kind: 'DeploymentList' }), 'io.k8s.api.apps.v1.DeploymentList');
  assert.deepEqual(findUnknownFields({ group: 'autoscaling', version: 'v1', kind: 'Scale' }, { spec: { replicas: 1, x: 1 } }), ['spec.x']);
});

test('duplicate fields in raw JSON', () => {
  assert.deepEqual(findDuplicateFields('{"metadata":{"name":"a","name":"b"}}'), ['metadata.name']);
  assert.deepEqual(findDuplicateFields('{"a":1,"b":[{"x":1,"x":2},{"x":1}],"a":2}'), ['b[0].x', 'a']);
  assert.deepEqual(findDuplicateFields('{"k\\u0065y":1,"key":2}'), ['key'], 'escapes are decoded before comparing');
  assert.deepEqual(findDuplicateFields(' { "s" : "a,\\"}" , "t" : [ ] , "u" : { } , "v" : -1.5e3 , "w" : null } '), []);
  assert.deepEqual(findDuplicateFields('{"a":1,"a":'), ['a'], 'malformed input: report what was seen');
  assert.deepEqual(findDuplicateFields('['.repeat(10000)), []);
});

test('problems and the Strict message', () => {
  const json = '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a","name":"b"},"spec":{"containers":[],"foo":1}}';
  const problems = fieldValidationProblems({ gvk: POD, object: JSON.parse(json), json });
  assert.deepEqual(problems, ['duplicate field "metadata.name"', 'unknown field "spec.foo"']);
  assert.equal(strictDecodingMessage(problems), 'strict decoding error: duplicate field "metadata.name", unknown field "spec.foo"');
});

test('fast enough for every write', () => {
  const obj = deployment();
  const json = JSON.stringify(obj);
  findUnknownFields(DEPLOYMENT, obj); // compile
  const n = 20000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    findUnknownFields(DEPLOYMENT, obj);
    findDuplicateFields(json);
  }
  const perOp = (performance.now() - t0) / n;
  console.log(`schema_check: ${(perOp * 1000).toFixed(1)} µs per deployment (unknown + duplicate)`);
  assert.ok(perOp < 0.5, `${perOp} ms per check`);
});
