// Tests for the discovery documents and Accept negotiation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  aggregatedContentType,
  aggregatedDiscovery,
  apiGroup,
  apiGroupList,
  apiResourceList,
  apiVersions,
  discoveryResponse,
  negotiateDiscovery,
  versionInfo,
} from './discovery.js';

const KUBECTL_ACCEPT = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';

test('/version reports 1.32 with a capstan suffix', () => {
  const v = versionInfo({ buildDate: '2025-01-01T00:00:00Z' });
  assert.equal(v.gitVersion, 'v1.32.0+capstan');
  assert.equal(v.major, '1');
  assert.equal(v.minor, '32');
  assert.equal(v.buildDate, '2025-01-01T00:00:00Z');
  assert.match(v.platform, /^[a-z0-9]+\/[a-z0-9]+$/);
  assert.ok(v.goVersion.length > 0);
});

test('/api and /apis legacy documents', () => {
  assert.deepEqual(apiVersions({ serverAddress: '10.0.0.1:6443' }), {
    kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '10.0.0.1:6443' }],
  });
  const groups = apiGroupList();
  assert.equal(groups.kind, 'APIGroupList');
  assert.ok(!groups.groups.some((g) => g.name === ''));
  const autoscaling = groups.groups.find((g) => g.name === 'autoscaling');
  assert.deepEqual(autoscaling?.preferredVersion, { groupVersion: 'autoscaling/v2', version: 'v2' });
  assert.deepEqual(autoscaling?.versions.map((v) => v.groupVersion), ['autoscaling/v2', 'autoscaling/v1']);
  assert.equal(apiGroup('apps')?.kind, 'APIGroup');
  assert.equal(apiGroup('nope'), undefined);
});

test('/api/v1 lists resources and their subresources in order', () => {
  const list = apiResourceList('', 'v1');
  assert.ok(list);
  assert.equal(list.groupVersion, 'v1');
  const names = list.resources.map((r) => r.name);
  assert.deepEqual(names.filter((n) => n.startsWith('pods')), [
    'pods', 'pods/attach', 'pods/binding', 'pods/ephemeralcontainers', 'pods/eviction', 'pods/exec', 'pods/log', 'pods/portforward', 'pods/proxy', 'pods/status',
  ]);
  const pods = list.resources.find((r) => r.name === 'pods');
  assert.deepEqual(pods?.shortNames, ['po']);
  assert.deepEqual(pods?.categories, ['all']);
  assert.equal(pods?.singularName, 'pod');
  assert.ok(pods?.storageVersionHash);
  const eviction = list.resources.find((r) => r.name === 'pods/eviction');
  assert.deepEqual([eviction?.group, eviction?.version, eviction?.kind, eviction?.singularName], ['policy', 'v1', 'Eviction', '']);
  assert.deepEqual(list.resources.find((r) => r.name === 'pods/status')?.verbs, ['get', 'patch', 'update']);
  assert.equal(apiResourceList('apps', 'v2'), undefined);
  const apps = apiResourceList('apps', 'v1');
  assert.equal(apps?.groupVersion, 'apps/v1');
  assert.deepEqual(apps?.resources.find((r) => r.name === 'deployments/scale')?.kind, 'Scale');
});

test('aggregated discovery for /api and /apis', () => {
  const core = aggregatedDiscovery('/api');
  assert.equal(core.apiVersion, 'apidiscovery.k8s.io/v2');
  assert.equal(core.items.length, 1);
  assert.deepEqual(core.items[0].metadata, { creationTimestamp: null });
  const pods = core.items[0].versions[0].resources.find((r) => r.resource === 'pods');
  assert.equal(pods?.scope, 'Namespaced');
  assert.deepEqual(pods?.responseKind, { group: '', version: 'v1', kind: 'Pod' });
  assert.deepEqual(pods?.subresources?.find((s) => s.subresource === 'eviction')?.responseKind, { group: 'policy', version: 'v1', kind: 'Eviction' });

  const all = aggregatedDiscovery('/apis');
  const apps = all.items.find((i) => i.metadata.name === 'apps');
  const deploy = apps?.versions[0].resources.find((r) => r.resource === 'deployments');
  assert.deepEqual(deploy?.shortNames, ['deploy']);
  assert.equal(apps?.versions[0].freshness, 'Current');
  const autoscaling = all.items.find((i) => i.metadata.name === 'autoscaling');
  assert.deepEqual(autoscaling?.versions.map((v) => v.version), ['v2', 'v1']);
  assert.equal(aggregatedDiscovery('/apis', 'v2beta1').apiVersion, 'apidiscovery.k8s.io/v2beta1');
});

test('Accept negotiation picks the form and its Content-Type', () => {
  assert.deepEqual(negotiateDiscovery(KUBECTL_ACCEPT), { form: 'aggregated', version: 'v2', contentType: aggregatedContentType('v2') });
  assert.equal(aggregatedContentType('v2'), 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
  assert.equal(negotiateDiscovery('application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList, application/json').form, 'aggregated');
  assert.deepEqual(negotiateDiscovery('application/json'), { form: 'legacy', contentType: 'application/json' });
  assert.deepEqual(negotiateDiscovery(undefined), { form: 'legacy', contentType: 'application/json' });
  assert.deepEqual(negotiateDiscovery('*/*'), { form: 'legacy', contentType: 'application/json' });
  // q-values outrank order
  assert.equal(negotiateDiscovery('application/json;q=0.9, application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList').form, 'aggregated');
  assert.equal(negotiateDiscovery('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList;q=0.5, application/json').form, 'legacy');
  // protobuf discovery is not served; the JSON fallback in the same header is used
  assert.equal(negotiateDiscovery('application/vnd.kubernetes.protobuf;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json').form, 'legacy');
  assert.equal(negotiateDiscovery('application/vnd.kubernetes.protobuf').form, 'not-acceptable');
});

test('discoveryResponse pairs body and Content-Type, and caches', () => {
  const agg = discoveryResponse('/apis', KUBECTL_ACCEPT);
  assert.equal(agg.status, 200);
  assert.equal(agg.contentType, aggregatedContentType('v2'));
  assert.equal(JSON.parse(agg.body).kind, 'APIGroupDiscoveryList');
  assert.strictEqual(discoveryResponse('/apis', KUBECTL_ACCEPT), agg);
  const legacy = discoveryResponse('/apis', 'application/json');
  assert.equal(JSON.parse(legacy.body).kind, 'APIGroupList');
  assert.notEqual(legacy.etag, agg.etag);
  assert.equal(JSON.parse(discoveryResponse('/api', 'application/json').body).kind, 'APIVersions');
  const bad = discoveryResponse('/api', 'application/vnd.kubernetes.protobuf');
  assert.equal(bad.status, 406);
  assert.equal(JSON.parse(bad.body).reason, 'NotAcceptable');
});
