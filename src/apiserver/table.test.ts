import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lookupResource } from '../api/resources.js';
import {
  humanDuration,
  metaContentType,
  negotiateObjectForm,
  parseIncludeObject,
  toPartialObjectMetadata,
  toPartialObjectMetadataList,
  toTable,
  wantsPartialObjectMetadata,
  wantsTable,
} from './table.js';

const KUBECTL_GET = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
const METADATA_INFORMER = 'application/vnd.kubernetes.protobuf;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';
const NOW = new Date('2025-01-01T12:00:00Z');
const pods = lookupResource('', 'v1', 'pods')!;

const pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'default', uid: 'u1', resourceVersion: '7', labels: { app: 'web' }, creationTimestamp: '2025-01-01T11:57:58Z' },
  spec: { containers: [{ name: 'a', image: 'nginx' }] },
  status: { phase: 'Running', containerStatuses: [{ name: 'a', image: 'nginx', imageID: '', ready: true, restartCount: 0, state: { running: {} } }] },
};

test('kubectl get asks for a v1 Table', () => {
  assert.equal(wantsTable(KUBECTL_GET), true);
  assert.equal(wantsPartialObjectMetadata(KUBECTL_GET), false);
  assert.deepEqual(negotiateObjectForm(KUBECTL_GET), {
    as: 'Table', version: 'v1', mediaType: 'application/json', contentType: 'application/json;as=Table;v=v1;g=meta.k8s.io',
  });
});

test('plain JSON, no header and wildcards get the object itself', () => {
  for (const accept of [undefined, '', 'application/json', '*/*', 'application/json, */*', 'application/*']) {
    assert.equal(wantsTable(accept), false, String(accept));
    assert.equal(negotiateObjectForm(accept).as, 'Object', String(accept));
  }
});

test('negotiation follows q-values and client order and skips what it cannot serve', () => {
  // v1beta1 only (old clients).
  assert.deepEqual(negotiateObjectForm('application/json;as=Table;v=v1beta1;g=meta.k8s.io'), {
    as: 'Table', version: 'v1beta1', mediaType: 'application/json', contentType: metaContentType('Table', 'v1beta1'),
  });
  // Preferences by q beat the order written.
  assert.equal(negotiateObjectForm('application/json;q=0.5,application/json;as=Table;v=v1;g=meta.k8s.io').as, 'Table');
  assert.equal(negotiateObjectForm('application/json;as=Table;v=v1;g=meta.k8s.io;q=0.5,application/json').as, 'Object');
  // Unknown form, group or version is skipped in favour of the next range.
  assert.equal(negotiateObjectForm('application/json;as=Table;v=v2;g=meta.k8s.io,application/json').as, 'Object');
  assert.equal(negotiateObjectForm('application/json;as=Table;v=v1;g=example.com,application/json').as, 'Object');
  assert.equal(negotiateObjectForm('application/json;as=Bogus;v=v1;g=meta.k8s.io').as, 'NotAcceptable');
  assert.equal(negotiateObjectForm('application/json;g=apps;v=v1').as, 'NotAcceptable');
  assert.equal(negotiateObjectForm('text/html').as, 'NotAcceptable');
  assert.equal(negotiateObjectForm('application/json;q=0').as, 'NotAcceptable');
  // Parameters are case- and space-tolerant, quoted values are unquoted.
  assert.equal(negotiateObjectForm('Application/JSON ; as="Table" ; v=v1 ; g=meta.k8s.io').as, 'Table');
});

test('protobuf ranges count only when the server can encode protobuf, and only for the plain object', () => {
  assert.deepEqual(negotiateObjectForm(METADATA_INFORMER), {
    as: 'PartialObjectMetadataList', version: 'v1', mediaType: 'application/json', contentType: 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io',
  });
  assert.equal(wantsPartialObjectMetadata(METADATA_INFORMER), true);
  assert.equal(wantsPartialObjectMetadata('application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io'), true);
  const kubectlProto = 'application/vnd.kubernetes.protobuf,application/json';
  assert.deepEqual(negotiateObjectForm(kubectlProto), { as: 'Object', mediaType: 'application/json' });
  assert.deepEqual(negotiateObjectForm(kubectlProto, { protobuf: true }), { as: 'Object', mediaType: 'application/vnd.kubernetes.protobuf' });
  assert.equal(negotiateObjectForm('application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io', { protobuf: true }).as, 'NotAcceptable');
});

test('includeObject query parameter', () => {
  assert.equal(parseIncludeObject(null), 'Metadata');
  assert.equal(parseIncludeObject(''), 'Metadata');
  assert.equal(parseIncludeObject('None'), 'None');
  assert.equal(parseIncludeObject('Object'), 'Object');
  assert.equal(parseIncludeObject('object'), undefined);
});

test('toTable: columns, cells, list metadata and a PartialObjectMetadata per row by default', () => {
  const table = toTable(pods, [pod], { listMeta: { resourceVersion: '42', continue: 'abc' }, now: NOW });
  assert.equal(table.kind, 'Table');
  assert.equal(table.apiVersion, 'meta.k8s.io/v1');
  assert.deepEqual(table.metadata, { resourceVersion: '42', continue: 'abc' });
  assert.deepEqual(table.columnDefinitions?.map((c) => [c.name, c.type, c.format, c.priority]), [
    ['Name', 'string', 'name', 0],
    ['Ready', 'string', '', 0],
    ['Status', 'string', '', 0],
    ['Restarts', 'string', '', 0],
    ['Age', 'string', '', 0],
    ['IP', 'string', '', 1],
    ['Node', 'string', '', 1],
    ['Nominated Node', 'string', '', 1],
    ['Readiness Gates', 'string', '', 1],
  ]);
  assert.equal(table.rows.length, 1);
  assert.deepEqual(table.rows[0]!.cells, ['web', '1/1', 'Running', '0', '2m2s', '<none>', '<none>', '<none>', '<none>']);
  assert.deepEqual(table.rows[0]!.object, { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: pod.metadata });
  assert.equal(table.rows[0]!.conditions, undefined);
  // Key order as Kubernetes serializes a Table.
  assert.deepEqual(Object.keys(table), ['kind', 'apiVersion', 'metadata', 'columnDefinitions', 'rows']);
});

test('toTable: includeObject None and Object, v1beta1, noHeaders, empty lists', () => {
  assert.equal(toTable(pods, [pod], { includeObject: 'None', now: NOW }).rows[0]!.object, undefined);
  assert.equal(toTable(pods, [pod], { includeObject: 'Object', now: NOW }).rows[0]!.object, pod);
  const beta = toTable(pods, [pod], { includeObject: 'Metadata', version: 'v1beta1', now: NOW });
  assert.equal(beta.apiVersion, 'meta.k8s.io/v1beta1');
  assert.equal(beta.rows[0]!.object?.apiVersion, 'meta.k8s.io/v1beta1');
  const bare = toTable(pods, [pod], { includeObject: 'None', noHeaders: true, now: NOW });
  assert.equal(bare.columnDefinitions, undefined);
  const empty = toTable(pods, [], { includeObject: 'Metadata', listMeta: { resourceVersion: '9' } });
  assert.deepEqual(empty.rows, []);
  assert.equal(empty.columnDefinitions?.length, 9);
  assert.deepEqual(empty.metadata, { resourceVersion: '9' });
  // Editing a returned table must not leak into the next one.
  empty.columnDefinitions![0]!.name = 'changed';
  assert.equal(toTable(pods, [], {}).columnDefinitions![0]!.name, 'Name');
});

test('kinds without a printer get NAME and CREATED AT (RFC 3339)', () => {
  const roles = lookupResource('rbac.authorization.k8s.io', 'v1', 'roles')!;
  const table = toTable(roles, [{ metadata: { name: 'reader', creationTimestamp: '2025-02-14T09:30:00.5+01:00' } }, { metadata: { name: 'bare' } }], { includeObject: 'None' });
  assert.deepEqual(table.columnDefinitions?.map((c) => [c.name, c.type, c.format, c.priority]), [['Name', 'string', 'name', 0], ['Created At', 'date', '', 0]]);
  assert.deepEqual(table.rows.map((r) => r.cells), [['reader', '2025-02-14T08:30:00Z'], ['bare', '0001-01-01T00:00:00Z']]);
});

test('PartialObjectMetadata and PartialObjectMetadataList keep only metadata', () => {
  assert.deepEqual(toPartialObjectMetadata(pod), { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: pod.metadata });
  assert.deepEqual(toPartialObjectMetadata({ kind: 'Odd' }), { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: {} });
  const list = toPartialObjectMetadataList([pod, pod], { listMeta: { resourceVersion: '5', continue: '', remainingItemCount: 3 }, version: 'v1beta1' });
  assert.equal(list.kind, 'PartialObjectMetadataList');
  assert.equal(list.apiVersion, 'meta.k8s.io/v1beta1');
  assert.deepEqual(list.metadata, { resourceVersion: '5', remainingItemCount: 3 });
  assert.equal(list.items.length, 2);
  assert.equal(list.items[1]!.apiVersion, 'meta.k8s.io/v1beta1');
  assert.equal(list.items[0]!.metadata.name, 'web');
});

test('humanDuration is re-exported for other components', () => {
  assert.equal(humanDuration(3 * 60_000 + 2_000), '3m2s');
});
