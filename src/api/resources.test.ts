// Tests for the resource table and its lookups.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  RESOURCES,
  apiGroups,
  groupVersionPath,
  groupVersions,
  lookupKind,
  lookupResource,
  parseApiVersion,
  resourcesForKind,
  resourcesForShortName,
  resourcesInGroupVersion,
} from './resources.js';

test('every row is unique by group/version/plural and by group/version/kind', () => {
  const gvr = new Set<string>();
  const gvk = new Set<string>();
  for (const r of RESOURCES) {
    const a = `${r.group}/${r.version}/${r.plural}`;
    const b = `${r.group}/${r.version}/${r.kind}`;
    assert.ok(!gvr.has(a), `duplicate ${a}`);
    assert.ok(!gvk.has(b), `duplicate ${b}`);
    gvr.add(a);
    gvk.add(b);
  }
});

test('lookups by resource, kind and short name', () => {
  const d = lookupResource('apps', 'v1', 'deployments');
  assert.equal(d?.kind, 'Deployment');
  assert.equal(d?.singular, 'deployment');
  assert.deepEqual(d?.shortNames, ['deploy']);
  assert.deepEqual(d?.categories, ['all']);
  assert.equal(d?.typeName, 'io.k8s.api.apps.v1.Deployment');
  assert.equal(d?.listTypeName, 'io.k8s.api.apps.v1.DeploymentList');
  assert.deepEqual(d?.subresources.find((s) => s.name === 'scale'), { name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: ['get', 'patch', 'update'] });

  assert.equal(lookupKind({ group: '', version: 'v1', kind: 'Pod' })?.plural, 'pods');
  assert.equal(lookupKind({ group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'ClusterRole' })?.typeName, 'io.k8s.api.rbac.v1.ClusterRole');
  assert.equal(lookupKind({ group: 'apps', version: 'v1', kind: 'Pod' }), undefined);
  assert.equal(resourcesForShortName('po')[0].kind, 'Pod');
  assert.equal(resourcesForShortName('HPA')[0].version, 'v2', 'preferred version first');
  assert.deepEqual(resourcesForKind('event').map((r) => r.group), ['', 'events.k8s.io']);
});

test('bindings are create-only and unlisted; namespaces cannot be deleted as a collection', () => {
  const b = lookupResource('', 'v1', 'bindings');
  assert.deepEqual(b?.verbs, ['create']);
  assert.equal(b?.listTypeName, undefined);
  assert.ok(!lookupResource('', 'v1', 'namespaces')?.verbs.includes('deletecollection'));
  assert.equal(lookupResource('', 'v1', 'namespaces')?.namespaced, false);
});

test('groups: core first, autoscaling prefers v2, every served version listed once', () => {
  const groups = apiGroups();
  assert.equal(groups[0].name, '');
  const autoscaling = groups.find((g) => g.name === 'autoscaling');
  assert.deepEqual(autoscaling?.versions, ['v2', 'v1']);
  assert.equal(autoscaling?.preferredVersion, 'v2');
  assert.equal(new Set(groupVersions()).size, groupVersions().length);
  for (const gv of groupVersions()) {
    const { group, version } = parseApiVersion(gv);
    assert.ok(resourcesInGroupVersion(group, version).length > 0, gv);
  }
  assert.equal(groupVersionPath('', 'v1'), '/api/v1');
  assert.equal(groupVersionPath('apps', 'v1'), '/apis/apps/v1');
});
