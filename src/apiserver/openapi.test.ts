// Tests for the OpenAPI v2 and v3 documents.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openapiV2, openapiV3GroupVersion, openapiV3Key, openapiV3Root } from './openapi.js';

interface Op {
  operationId: string;
  parameters?: Array<{ name: string; in: string }>;
  'x-kubernetes-action'?: string;
  'x-kubernetes-group-version-kind'?: { group: string; version: string; kind: string };
  requestBody?: { content: Record<string, unknown> };
}
interface V3Doc {
  openapi: string;
  paths: Record<string, Record<string, Op>>;
  components: { schemas: Record<string, { properties?: Record<string, Record<string, unknown>>; 'x-kubernetes-group-version-kind'?: unknown[] }> };
}

function v3(key: string): V3Doc {
  const doc = openapiV3GroupVersion(key);
  assert.ok(doc, key);
  return JSON.parse(doc.body) as V3Doc;
}

test('v3 root lists every group version with its hash', () => {
  const root = JSON.parse(openapiV3Root().body) as { paths: Record<string, { serverRelativeURL: string }> };
  assert.ok(root.paths['api/v1']);
  assert.ok(root.paths['apis/apps/v1']);
  assert.ok(root.paths['apis/autoscaling/v2']);
  const apps = openapiV3GroupVersion('apis/apps/v1');
  assert.equal(root.paths['apis/apps/v1'].serverRelativeURL, `/openapi/v3/apis/apps/v1?hash=${apps?.hash}`);
  assert.match(apps?.hash ?? '', /^[0-9A-F]{128}$/);
  assert.equal(apps?.etag, `"${apps?.hash}"`);
  assert.equal(openapiV3Key('apps/v1'), 'apis/apps/v1');
  assert.equal(openapiV3Key('v1'), 'api/v1');
  assert.equal(openapiV3GroupVersion('apis/apps/v9'), undefined);
  assert.strictEqual(openapiV3GroupVersion('/apis/apps/v1'), apps, 'cached and slash-tolerant');
});

test('v3 PATCH operations declare fieldValidation and their GVK, as kubectl checks', () => {
  const doc = v3('apis/apps/v1');
  const patch = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch;
  assert.equal(patch.operationId, 'patchAppsV1NamespacedDeployment');
  assert.equal(patch['x-kubernetes-action'], 'patch');
  assert.deepEqual(patch['x-kubernetes-group-version-kind'], { group: 'apps', kind: 'Deployment', version: 'v1' });
  assert.ok(patch.parameters?.some((p) => p.name === 'fieldValidation' && p.in === 'query'));
  assert.ok(patch.requestBody?.content['application/strategic-merge-patch+json']);
  assert.ok(patch.requestBody?.content['application/apply-patch+yaml']);
  const scale = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale'].get;
  assert.deepEqual(scale['x-kubernetes-group-version-kind'], { group: 'autoscaling', kind: 'Scale', version: 'v1' });
  assert.equal(doc.paths['/apis/apps/v1/deployments'].get.operationId, 'listAppsV1DeploymentForAllNamespaces');
});

test('v3 schemas: allOf refs, GVK, patch extensions, int-or-string, date-time', () => {
  const doc = v3('api/v1');
  const s = doc.components.schemas;
  assert.deepEqual(s['io.k8s.api.core.v1.Pod']['x-kubernetes-group-version-kind'], [{ group: '', kind: 'Pod', version: 'v1' }]);
  const spec = s['io.k8s.api.core.v1.Pod'].properties?.spec;
  assert.deepEqual(spec?.allOf, [{ $ref: '#/components/schemas/io.k8s.api.core.v1.PodSpec' }]);
  assert.equal(typeof spec?.description, 'string');
  const containers = s['io.k8s.api.core.v1.PodSpec'].properties?.containers;
  assert.equal(containers?.['x-kubernetes-patch-strategy'], 'merge');
  assert.equal(containers?.['x-kubernetes-patch-merge-key'], 'name');
  assert.equal(s['io.k8s.api.core.v1.Container'].properties?.ports?.['x-kubernetes-patch-merge-key'], 'containerPort');
  assert.equal(s['io.k8s.api.core.v1.Container'].properties?.volumeMounts?.['x-kubernetes-patch-merge-key'], 'mountPath');
  assert.deepEqual(s['io.k8s.apimachinery.pkg.util.intstr.IntOrString'], {
    type: 'string', format: 'int-or-string', description: (s['io.k8s.apimachinery.pkg.util.intstr.IntOrString'] as { description: string }).description,
  });
  assert.equal((s['io.k8s.apimachinery.pkg.apis.meta.v1.Time'] as { format?: string }).format, 'date-time');
  assert.equal((s['io.k8s.apimachinery.pkg.api.resource.Quantity'] as { type?: string }).type, 'string');
  // Only what this group version references: no apps types in the core document.
  assert.ok(!Object.keys(s).some((k) => k.startsWith('io.k8s.api.apps.')));
  const text = openapiV3GroupVersion('api/v1')?.body ?? '';
  assert.ok(!text.includes('#/definitions/'), 'every ref rewritten for v3');
});

test('v3 core document has subresource and connect operations', () => {
  const doc = v3('api/v1');
  const base = '/api/v1/namespaces/{namespace}/pods/{name}';
  assert.equal(doc.paths[`${base}/log`].get.operationId, 'readCoreV1NamespacedPodLog');
  assert.equal(doc.paths[`${base}/exec`].post['x-kubernetes-action'], 'connect');
  assert.equal(doc.paths[`${base}/eviction`].post.operationId, 'createCoreV1NamespacedPodEviction');
  assert.equal(doc.paths['/api/v1/namespaces/{namespace}/bindings'].post.operationId, 'createCoreV1NamespacedBinding');
  assert.equal(doc.paths['/api/v1/namespaces/{namespace}/bindings'].get, undefined);
  assert.equal(doc.paths['/api/v1/namespaces'].delete, undefined, 'no deletecollection for namespaces');
});

test('v2 document is Swagger 2.0 with every definition and resource path', () => {
  const doc = JSON.parse(openapiV2().body) as { swagger: string; paths: Record<string, Record<string, Op>>; definitions: Record<string, unknown> };
  assert.equal(doc.swagger, '2.0');
  assert.ok(doc.definitions['io.k8s.api.apps.v1.Deployment']);
  assert.ok(doc.definitions['io.k8s.api.networking.v1.Ingress']);
  assert.ok(doc.paths['/apis/rbac.authorization.k8s.io/v1/clusterroles/{name}'].get.operationId === 'readRbacAuthorizationV1ClusterRole');
  const post = doc.paths['/api/v1/namespaces/{namespace}/configmaps'].post;
  assert.ok(post.parameters?.some((p) => p.name === 'body' && p.in === 'body'));
  assert.ok(post.parameters?.some((p) => p.name === 'fieldValidation'));
  assert.strictEqual(openapiV2(), openapiV2());
});
