// Issue 7 acceptance, controller by controller, with `capstan server` running its controller
// manager and real kubectl. Nodes are made by manifest; pod status is set by the test where a
// kubelet would set it (the kubelet is issue 8).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Cluster, e2eSkipReason, eventually } from './harness.js';

const skip = e2eSkipReason();
if (skip) console.log(`# skipping controllers e2e: ${skip}`);

describe('controllers e2e', { skip }, () => {
  const c = new Cluster(undefined, { scheduler: true, controllers: '*' });
  before(async () => {
    await c.start();
  });
  after(async () => {
    await c.destroy();
  });
  const apply = (yaml: string): void => {
    const r = c.kubectl(['apply', '-f', '-'], { input: yaml });
    assert.equal(r.code, 0, r.stderr);
  };
  const exists = (args: string[]): boolean => c.kubectl(['get', ...args]).code === 0;

  test('every namespace gets a default ServiceAccount', async () => {
    c.kubectl(['create', 'namespace', 'sa-test']);
    await eventually(() => exists(['serviceaccount', 'default', '-n', 'sa-test']), 15_000, 'default ServiceAccount');
    assert.equal(c.kubectl(['delete', 'serviceaccount', 'default', '-n', 'sa-test']).code, 0);
    await eventually(() => exists(['serviceaccount', 'default', '-n', 'sa-test']), 15_000, 'default ServiceAccount re-created');
  });

  test('kubectl delete ns removes everything inside, then the namespace', async () => {
    c.kubectl(['create', 'namespace', 'doomed']);
    apply(`apiVersion: v1
kind: ConfigMap
metadata: {name: cfg, namespace: doomed}
---
apiVersion: v1
kind: Secret
metadata: {name: s, namespace: doomed}
---
apiVersion: v1
kind: Service
metadata: {name: svc, namespace: doomed}
spec: {ports: [{port: 80}], selector: {app: x}}
---
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {name: l, namespace: doomed}
`);
    const del = c.kubectl(['delete', 'namespace', 'doomed', '--timeout=60s']);
    assert.equal(del.code, 0, del.stderr);
    assert.match(del.stdout, /namespace "doomed" deleted/);
    assert.equal(exists(['namespace', 'doomed']), false);
    assert.equal(exists(['configmap', 'cfg', '-n', 'doomed']), false);
  });

  test('garbage collection: background, foreground and orphan', async () => {
    c.kubectl(['create', 'namespace', 'gc']);
    const owner = (name: string): string => {
      apply(`apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}, namespace: gc}\n`);
      return c.kubectl(['get', 'configmap', name, '-n', 'gc', '-o', 'jsonpath={.metadata.uid}']).stdout;
    };
    const dependent = (name: string, ownerName: string, uid: string): void =>
      apply(`apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
  namespace: gc
  ownerReferences: [{apiVersion: v1, kind: ConfigMap, name: ${ownerName}, uid: ${uid}, blockOwnerDeletion: true}]
`);
    // Background: the owner goes at once, the dependent soon after.
    dependent('bg-dep', 'bg', owner('bg'));
    assert.equal(c.kubectl(['delete', 'configmap', 'bg', '-n', 'gc']).code, 0);
    await eventually(() => !exists(['configmap', 'bg-dep', '-n', 'gc']), 15_000, 'background dependent collected');
    // Foreground: kubectl waits until the dependent is gone and then the owner.
    dependent('fg-dep', 'fg', owner('fg'));
    const fg = c.kubectl(['delete', 'configmap', 'fg', '-n', 'gc', '--cascade=foreground', '--timeout=60s']);
    assert.equal(fg.code, 0, fg.stderr);
    assert.equal(exists(['configmap', 'fg-dep', '-n', 'gc']), false);
    assert.equal(exists(['configmap', 'fg', '-n', 'gc']), false);
    // Orphan: the dependent stays, without its owner reference.
    dependent('or-dep', 'or', owner('or'));
    const or = c.kubectl(['delete', 'configmap', 'or', '-n', 'gc', '--cascade=orphan', '--timeout=60s']);
    assert.equal(or.code, 0, or.stderr);
    await eventually(() => !exists(['configmap', 'or', '-n', 'gc']), 15_000, 'orphaning owner removed');
    const refs = await eventually(
      () => {
        const r = c.kubectl(['get', 'configmap', 'or-dep', '-n', 'gc', '-o', 'jsonpath={.metadata.ownerReferences}']);
        return r.code === 0 && r.stdout === '' ? 'none' : undefined;
      },
      15_000,
      'the owner reference to be removed',
    );
    assert.equal(refs, 'none');
  });
});
