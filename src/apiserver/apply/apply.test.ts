import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ManagedFieldsEntry } from 'kubernetes-types/meta/v1.js';
import { ApiError } from '../../api/errors.js';
import {
  FieldSet,
  computeUpdateManagedFields,
  decodeFieldsV1,
  encodeFieldsV1,
  fieldSetOf,
  managerFromUserAgent,
  pathString,
  serverSideApply,
  validatePatchOptions,
} from './index.js';
import { fieldElement, keyElement, valueElement, indexElement, type Path } from './fieldset.js';

const NOW = new Date('2024-05-06T07:08:09.123Z');
const LATER = new Date('2024-05-06T08:00:00Z');
const T = '2024-05-06T07:08:09Z';
const DEPLOY = { apiVersion: 'apps/v1', kind: 'Deployment' };

type Obj = Record<string, any>;

function deployment(spec: Obj, labels: Obj = { app: 'web' }): Obj {
  return { ...DEPLOY, metadata: { name: 'web', namespace: 'default', labels }, spec };
}

function webSpec(replicas = 1, image = 'nginx:1'): Obj {
  return {
    replicas,
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image }] } },
  };
}

function withManaged(obj: Obj, managedFields: ManagedFieldsEntry[]): Obj {
  return { ...obj, metadata: { ...obj.metadata, managedFields } };
}

function managersOf(obj: Obj): string[] {
  return (obj.metadata.managedFields as ManagedFieldsEntry[]).map((e) => `${e.manager}/${e.operation}`);
}

function entry(entries: ManagedFieldsEntry[], manager: string): ManagedFieldsEntry {
  const e = entries.find((x) => x.manager === manager);
  assert.ok(e, `no entry for ${manager} in ${JSON.stringify(entries)}`);
  return e;
}

function paths(entries: ManagedFieldsEntry[], manager: string): string[] {
  return decodeFieldsV1(entry(entries, manager).fieldsV1).paths().map(pathString);
}

function applyErr(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ApiError, String(e));
    return e;
  }
  assert.fail('expected an ApiError');
}

// ---- field sets and FieldsV1 -------------------------------------------------------------

test('FieldsV1 round trip and order', () => {
  const p = (...pe: Path): Path => pe;
  const cases: { name: string; paths: Path[]; json: string }[] = [
    { name: 'empty', paths: [], json: '{}' },
    { name: 'leaf', paths: [p(fieldElement('spec'), fieldElement('replicas'))], json: '{"f:spec":{"f:replicas":{}}}' },
    {
      name: 'member with children gets "."',
      paths: [p(fieldElement('metadata'), fieldElement('labels')), p(fieldElement('metadata'), fieldElement('labels'), fieldElement('app'))],
      json: '{"f:metadata":{"f:labels":{".":{},"f:app":{}}}}',
    },
    {
      name: 'keyed list elements, keys sorted, fields before keys',
      paths: [
        p(fieldElement('ports'), keyElement([['protocol', 'TCP'], ['containerPort', 80]])),
        p(fieldElement('ports'), keyElement([['protocol', 'TCP'], ['containerPort', 80]]), fieldElement('containerPort')),
        p(fieldElement('containers'), keyElement([['name', 'b']]), fieldElement('image')),
        p(fieldElement('containers'), keyElement([['name', 'a']]), fieldElement('image')),
      ],
      json: '{"f:containers":{"k:{\\"name\\":\\"a\\"}":{"f:image":{}},"k:{\\"name\\":\\"b\\"}":{"f:image":{}}},'
        + '"f:ports":{"k:{\\"containerPort\\":80,\\"protocol\\":\\"TCP\\"}":{".":{},"f:containerPort":{}}}}',
    },
    {
      name: 'set values and indexes',
      paths: [p(fieldElement('finalizers'), valueElement('b')), p(fieldElement('finalizers'), valueElement('a')), p(fieldElement('x'), indexElement(2))],
      json: '{"f:finalizers":{"v:\\"a\\"":{},"v:\\"b\\"":{}},"f:x":{"i:2":{}}}',
    },
  ];
  for (const c of cases) {
    const set = FieldSet.of(...c.paths);
    const encoded = encodeFieldsV1(set);
    assert.equal(JSON.stringify(encoded), c.json, c.name);
    const back = decodeFieldsV1(JSON.parse(c.json));
    assert.ok(back.equals(set), c.name);
    assert.equal(JSON.stringify(encodeFieldsV1(back)), c.json, c.name);
  }
});

test('path strings as conflict messages print them', () => {
  const cases: [Path, string][] = [
    [[fieldElement('spec'), fieldElement('replicas')], '.spec.replicas'],
    [[fieldElement('spec'), fieldElement('containers'), keyElement([['name', 'nginx']]), fieldElement('image')], '.spec.containers[name="nginx"].image'],
    [[fieldElement('ports'), keyElement([['protocol', 'TCP'], ['containerPort', 80]])], '.ports[containerPort=80,protocol="TCP"]'],
    [[fieldElement('finalizers'), valueElement('a')], '.finalizers[="a"]'],
    [[fieldElement('l'), indexElement(0)], '.l[0]'],
  ];
  for (const [path, want] of cases) assert.equal(pathString(path), want);
});

test('fieldSetOf an applied configuration', () => {
  const cases: { name: string; obj: Obj; want: string[] }[] = [
    {
      name: 'deployment: map entries owned, struct fields through leaves, atomic selector, keyed containers',
      obj: deployment(webSpec()),
      want: [
        '.apiVersion', '.kind', '.metadata.name', '.metadata.namespace', '.metadata.labels.app', '.spec.replicas', '.spec.selector',
        '.spec.template.metadata.labels.app', '.spec.template.spec.containers[name="nginx"]',
        '.spec.template.spec.containers[name="nginx"].image', '.spec.template.spec.containers[name="nginx"].name',
      ],
    },
    {
      name: 'set list, empty object, defaulted key field',
      obj: { apiVersion: 'v1', kind: 'Pod', metadata: { finalizers: ['b', 'a'], annotations: {} },
        spec: { containers: [{ name: 'c', ports: [{ containerPort: 80 }] }] } },
      want: [
        '.apiVersion', '.kind', '.metadata.annotations', '.metadata.finalizers[="a"]', '.metadata.finalizers[="b"]',
        '.spec.containers[name="c"]', '.spec.containers[name="c"].name',
        '.spec.containers[name="c"].ports[containerPort=80,protocol="TCP"]',
        '.spec.containers[name="c"].ports[containerPort=80,protocol="TCP"].containerPort',
      ],
    },
    {
      name: 'kind without a schema: maps by key, lists atomic',
      obj: { apiVersion: 'example.com/v1', kind: 'Widget', spec: { a: { b: 1 }, l: [1, 2] } },
      want: ['.apiVersion', '.kind', '.spec', '.spec.a', '.spec.a.b', '.spec.l'],
    },
  ];
  for (const c of cases) {
    const got = fieldSetOf(c.obj, { apiVersion: c.obj.apiVersion, kind: c.obj.kind }).paths().map(pathString);
    assert.deepEqual([...got].sort(), [...c.want].sort(), c.name);
  }
});

// ---- updates --------------------------------------------------------------------------------------

test('create via Update gives one entry owning every field set (Go-style materialized structs)', () => {
  const obj = deployment(webSpec());
  const mf = computeUpdateManagedFields({ old: undefined, updated: obj, manager: 'kubectl-create', operation: 'Update', apiVersion: 'apps/v1', now: NOW });
  assert.equal(mf.length, 1);
  assert.deepEqual({ ...mf[0], fieldsV1: undefined }, {
    manager: 'kubectl-create', operation: 'Update', apiVersion: 'apps/v1', time: T, fieldsType: 'FieldsV1', fieldsV1: undefined,
  });
  assert.deepEqual(Object.keys(mf[0]!), ['manager', 'operation', 'apiVersion', 'time', 'fieldsType', 'fieldsV1']);
  assert.deepEqual(mf[0]!.fieldsV1, {
    'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
    'f:spec': {
      'f:replicas': {},
      'f:selector': {},
      'f:template': {
        'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
        'f:spec': { 'f:containers': { 'k:{"name":"nginx"}': { '.': {}, 'f:image': {}, 'f:name': {}, 'f:resources': {} } } },
      },
    },
  });
});

test('updates move ownership of changed fields; no-op keeps entries; untracked objects stay untracked', () => {
  const created = deployment(webSpec());
  const mf0 = computeUpdateManagedFields({ old: undefined, updated: created, manager: 'kubectl-create', operation: 'Update', apiVersion: 'apps/v1', now: NOW });
  const stored = withManaged(created, mf0);

  // A second manager changes the image and adds a label.
  const edited = withManaged(deployment(webSpec(1, 'nginx:2'), { app: 'web', tier: 'fe' }), mf0);
  const mf1 = computeUpdateManagedFields({ old: stored, updated: edited, manager: 'kubectl-edit', operation: 'Update', apiVersion: 'apps/v1', now: LATER });
  assert.deepEqual(mf1.map((e) => e.manager), ['kubectl-create', 'kubectl-edit']);
  assert.deepEqual(paths(mf1, 'kubectl-edit'), ['.metadata.labels.tier', '.spec.template.spec.containers[name="nginx"].image']);
  assert.ok(!paths(mf1, 'kubectl-create').includes('.spec.template.spec.containers[name="nginx"].image'));
  assert.equal(entry(mf1, 'kubectl-create').time, T);

  // Same manager again, another change: its sets unite, its time moves.
  const again = withManaged(deployment(webSpec(2, 'nginx:2'), { app: 'web', tier: 'fe' }), mf1);
  const mf2 = computeUpdateManagedFields({ old: withManaged(edited, mf1), updated: again, manager: 'kubectl-edit', operation: 'Update', apiVersion: 'apps/v1', now: LATER });
  assert.deepEqual(paths(mf2, 'kubectl-edit'), ['.metadata.labels.tier', '.spec.replicas', '.spec.template.spec.containers[name="nginx"].image']);

  // A removal takes the field away from everyone.
  const removed = withManaged(deployment(webSpec(2, 'nginx:2'), { app: 'web' }), mf2);
  const mf3 = computeUpdateManagedFields({ old: withManaged(again, mf2), updated: removed, manager: 'other', operation: 'Update', apiVersion: 'apps/v1', now: LATER });
  assert.deepEqual(paths(mf3, 'kubectl-edit'), ['.spec.replicas', '.spec.template.spec.containers[name="nginx"].image']);
  assert.deepEqual(mf3.map((e) => e.manager), ['kubectl-create', 'kubectl-edit']);

  const cases: { name: string; old: Obj; updated: Obj; want: ManagedFieldsEntry[] }[] = [
    { name: 'no change keeps entries and times', old: stored, updated: stored, want: mf0 },
    { name: 'client omitting managedFields keeps the stored ones', old: stored, updated: created, want: mf0 },
    { name: 'object without managedFields stays untracked', old: created, updated: deployment(webSpec(5)), want: [] },
    { name: 'managedFields: [] resets', old: stored, updated: withManaged(deployment(webSpec(5)), []), want: [] },
    { name: 'managedFields: [{}] resets', old: stored, updated: withManaged(deployment(webSpec(5)), [{}]), want: [] },
  ];
  for (const c of cases) {
    const got = computeUpdateManagedFields({ old: c.old, updated: c.updated, manager: 'x', operation: 'Update', apiVersion: 'apps/v1', now: LATER });
    assert.deepEqual(got, c.want, c.name);
  }
});

test('subresource updates get their own entry and ignore managedFields in the request', () => {
  const created = deployment(webSpec());
  const mf0 = computeUpdateManagedFields({ old: undefined, updated: created, manager: 'kubectl', operation: 'Update', apiVersion: 'apps/v1', now: NOW });
  const stored = withManaged(created, mf0);
  const withStatus = withManaged({ ...created, status: { replicas: 1 } }, []);
  const mf = computeUpdateManagedFields({ old: stored, updated: withStatus, manager: 'kube-controller-manager', operation: 'Update', apiVersion: 'apps/v1', subresource: 'status', now: LATER });
  const e = entry(mf, 'kube-controller-manager');
  assert.equal(e.subresource, 'status');
  assert.deepEqual(Object.keys(e), ['manager', 'operation', 'apiVersion', 'time', 'fieldsType', 'fieldsV1', 'subresource']);
  assert.deepEqual(e.fieldsV1, { 'f:status': { 'f:replicas': {} } });
});

test('more than ten Update managers fold the oldest into ancient-changes', () => {
  let obj = deployment({ replicas: 0 });
  let mf = computeUpdateManagedFields({ old: undefined, updated: obj, manager: 'm0', operation: 'Update', apiVersion: 'apps/v1', now: new Date(0) });
  for (let i = 1; i <= 11; i++) {
    const next = withManaged(deployment({ replicas: 0 }, { app: 'web', [`l${i}`]: 'x' }), mf);
    next.metadata.labels = { ...obj.metadata.labels, [`l${i}`]: 'x' };
    mf = computeUpdateManagedFields({ old: withManaged(obj, mf), updated: next, manager: `m${i}`, operation: 'Update', apiVersion: 'apps/v1', now: new Date(i * 1000) });
    obj = next;
  }
  assert.equal(mf.length, 10);
  const ancient = entry(mf, 'ancient-changes');
  assert.equal(ancient.time, '1970-01-01T00:00:02Z');
  assert.deepEqual(paths(mf, 'ancient-changes'), ['.metadata.labels', '.metadata.labels.app', '.metadata.labels.l1', '.metadata.labels.l2', '.spec.replicas']);
});

// ---- apply ----------------------------------------------------------------------------------------

function apply(current: Obj | undefined, applied: Obj, manager: string, force = false, now = NOW): Obj {
  return serverSideApply({ current, applied, manager, force, apiVersion: 'apps/v1', now }).object;
}

test('apply creates an object owned by the applier', () => {
  const cfg = deployment(webSpec(3));
  const obj = apply(undefined, cfg, 'kubectl');
  const { managedFields, ...meta } = obj.metadata;
  assert.deepEqual({ ...obj, metadata: meta }, cfg);
  assert.deepEqual(managedFields, [{
    manager: 'kubectl', operation: 'Apply', apiVersion: 'apps/v1', time: T, fieldsType: 'FieldsV1',
    fieldsV1: {
      'f:metadata': { 'f:labels': { 'f:app': {} } },
      'f:spec': {
        'f:replicas': {},
        'f:selector': {},
        'f:template': {
          'f:metadata': { 'f:labels': { 'f:app': {} } },
          'f:spec': { 'f:containers': { 'k:{"name":"nginx"}': { '.': {}, 'f:image': {}, 'f:name': {} } } },
        },
      },
    },
  }]);
});

test('re-applying without a field removes it unless someone else owns it', () => {
  const first = apply(undefined, deployment(webSpec(3), { app: 'web', team: 'a' }), 'kubectl');
  // Another applier shares `team` with the same value.
  const shared = apply(first, { ...DEPLOY, metadata: { name: 'web', labels: { team: 'a' } } }, 'labeller');
  const cfg = deployment({ selector: { matchLabels: { app: 'web' } }, template: webSpec().template }, { app: 'web' });
  const second = apply(shared, cfg, 'kubectl', false, LATER);
  assert.equal(second.spec.replicas, undefined, 'replicas pruned');
  assert.deepEqual(second.metadata.labels, { app: 'web', team: 'a' }, 'team kept: labeller owns it');
  const mf = second.metadata.managedFields as ManagedFieldsEntry[];
  assert.ok(!paths(mf, 'kubectl').includes('.spec.replicas'));
  assert.deepEqual(paths(mf, 'labeller'), ['.metadata.labels.team']);
  // Once labeller stops applying it too, the label goes.
  const third = apply(second, { ...DEPLOY, metadata: { name: 'web' } }, 'labeller');
  assert.deepEqual(third.metadata.labels, { app: 'web' });
  assert.deepEqual(managersOf(third), ['kubectl/Apply']);
});

test('fields set by Update managers are not pruned by an applier that never applied them', () => {
  const created = apply(undefined, deployment(webSpec(3)), 'kubectl');
  const withAnnotation = { ...created, metadata: { ...created.metadata, annotations: { note: 'x' } } };
  const mf = computeUpdateManagedFields({ old: created, updated: withAnnotation, manager: 'annotator', operation: 'Update', apiVersion: 'apps/v1', now: NOW });
  const stored = withManaged(withAnnotation, mf);
  const again = apply(stored, deployment(webSpec(3)), 'kubectl', false, LATER);
  assert.deepEqual(again.metadata.annotations, { note: 'x' });
});

test('conflicts with Update and Apply managers: 409 texts and causes, force takes over', () => {
  const created = deployment(webSpec(1));
  const mf = computeUpdateManagedFields({ old: undefined, updated: created, manager: 'kubectl-client-side-apply', operation: 'Update', apiVersion: 'apps/v1', now: NOW });
  const stored = withManaged(created, mf);

  const one = applyErr(() => apply(stored, { ...DEPLOY, metadata: { name: 'web' }, spec: { replicas: 3 } }, 'ci'));
  assert.equal(one.code, 409);
  assert.equal(one.reason, 'Conflict');
  assert.equal(one.message, 'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas');
  assert.deepEqual(one.toStatus(), {
    kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
    message: 'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas',
    reason: 'Conflict',
    details: { causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "kubectl-client-side-apply" using apps/v1', field: '.spec.replicas' }] },
    code: 409,
  });

  const cfg2 = { ...DEPLOY, metadata: { name: 'web' }, spec: { replicas: 3, template: { spec: { containers: [{ name: 'nginx', image: 'nginx:2' }] } } } };
  const two = applyErr(() => apply(stored, cfg2, 'ci'));
  assert.equal(two.message, 'Apply failed with 2 conflicts: conflicts with "kubectl-client-side-apply" using apps/v1:\n'
    + '- .spec.replicas\n- .spec.template.spec.containers[name="nginx"].image');
  assert.deepEqual(two.details?.causes?.map((c) => c.field), ['.spec.replicas', '.spec.template.spec.containers[name="nginx"].image']);

  // force: the applier takes the fields; the old owner loses them.
  const forced = apply(stored, cfg2, 'ci', true);
  assert.equal(forced.spec.replicas, 3);
  const fmf = forced.metadata.managedFields as ManagedFieldsEntry[];
  assert.deepEqual(managersOf(forced), ['ci/Apply', 'kubectl-client-side-apply/Update']);
  assert.ok(!paths(fmf, 'kubectl-client-side-apply').includes('.spec.replicas'));
  assert.ok(paths(fmf, 'ci').includes('.spec.replicas'));

  // Another applier with a different value conflicts with "ci" (appliers print without a version).
  const three = applyErr(() => apply(forced, { ...DEPLOY, metadata: { name: 'web' }, spec: { replicas: 5 } }, 'other'));
  assert.equal(three.message, 'Apply failed with 1 conflict: conflict with "ci": .spec.replicas');

  // Applying the value someone else owns is no conflict; both then own it.
  const same = apply(forced, { ...DEPLOY, metadata: { name: 'web' }, spec: { replicas: 3 } }, 'other');
  const smf = same.metadata.managedFields as ManagedFieldsEntry[];
  assert.ok(paths(smf, 'ci').includes('.spec.replicas'));
  assert.deepEqual(paths(smf, 'other'), ['.spec.replicas']);
  assert.equal(entry(smf, 'other').time, undefined, 'an apply that changed nothing records no time');
});

test('associative lists merge by key: one applier\'s container keeps another\'s', () => {
  const base = apply(undefined, deployment({
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'app:1', env: [{ name: 'A', value: '1' }] }] } },
  }), 'team-a');
  const sidecar = { ...DEPLOY, metadata: { name: 'web' }, spec: { template: { spec: { containers: [{ name: 'proxy', image: 'envoy:1' }] } } } };
  const both = apply(base, sidecar, 'team-b');
  assert.deepEqual(both.spec.template.spec.containers.map((c: Obj) => c.name), ['app', 'proxy']);
  // team-a re-applies with a changed env; team-b's container stays and the env merges by name.
  const next = apply(both, deployment({
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'app:1', env: [{ name: 'B', value: '2' }] }] } },
  }), 'team-a', false, LATER);
  assert.deepEqual(next.spec.template.spec.containers, [
    { name: 'app', image: 'app:1', env: [{ name: 'B', value: '2' }] },
    { name: 'proxy', image: 'envoy:1' },
  ]);
  assert.deepEqual(paths(next.metadata.managedFields, 'team-b'), [
    '.spec.template.spec.containers[name="proxy"]',
    '.spec.template.spec.containers[name="proxy"].image',
    '.spec.template.spec.containers[name="proxy"].name',
  ]);
});

test('sets merge by value; atomic lists replace', () => {
  const pod = (meta: Obj, spec: Obj): Obj => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', ...meta }, spec });
  const run = (current: Obj | undefined, applied: Obj, manager: string): Obj =>
    serverSideApply({ current, applied, manager, force: false, apiVersion: 'v1', now: NOW }).object;
  const a = run(undefined, pod({ finalizers: ['a/x'] }, { containers: [{ name: 'c', image: 'i', command: ['sh', '-c'] }] }), 'm1');
  const b = run(a, pod({ finalizers: ['b/y'] }, {}), 'm2');
  assert.deepEqual(b.metadata.finalizers, ['a/x', 'b/y']);
  const c = run(b, pod({ finalizers: ['a/x'] }, { containers: [{ name: 'c', image: 'i', command: ['run'] }] }), 'm1');
  assert.deepEqual(c.spec.containers[0].command, ['run']);
});

test('an untracked object is attributed to before-first-apply', () => {
  const live = deployment(webSpec(1));
  const err = applyErr(() => apply(live, { ...DEPLOY, metadata: { name: 'web' }, spec: { replicas: 2 } }, 'ci'));
  assert.equal(err.message, 'Apply failed with 1 conflict: conflict with "before-first-apply" using apps/v1: .spec.replicas');
  const ok = apply(live, { ...DEPLOY, metadata: { name: 'web' }, spec: { replicas: 1 } }, 'ci');
  assert.deepEqual(managersOf(ok), ['ci/Apply', 'before-first-apply/Update']);
});

test('kubectl takes over fields its last-applied annotation describes', () => {
  const lastApplied = JSON.stringify(deployment(webSpec(1)));
  const created = { ...deployment(webSpec(1)), metadata: { ...deployment(webSpec(1)).metadata, annotations: { 'kubectl.kubernetes.io/last-applied-configuration': lastApplied } } };
  const mf = computeUpdateManagedFields({ old: undefined, updated: created, manager: 'kubectl-client-side-apply', operation: 'Update', apiVersion: 'apps/v1', now: NOW });
  const stored = withManaged(created, mf);
  const cfg = deployment(webSpec(2));
  // Another manager must still conflict...
  assert.equal(applyErr(() => apply(stored, cfg, 'ci')).code, 409);
  // ...but kubectl upgrades, and keeps the annotation in sync with what it applied.
  const up = apply(stored, cfg, 'kubectl');
  assert.equal(up.spec.replicas, 2);
  const annotation = up.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'] as string;
  assert.ok(annotation.endsWith('\n'));
  assert.deepEqual(JSON.parse(annotation), cfg);
  assert.ok(annotation.startsWith('{"apiVersion":"apps/v1","kind":"Deployment","metadata":'), 'keys sorted');
});

test('apply request errors', () => {
  const stored = apply(undefined, deployment(webSpec()), 'kubectl');
  const cases: { name: string; applied: Obj; code: number; message: string }[] = [
    { name: 'managedFields in body', applied: { ...deployment(webSpec()), metadata: { name: 'web', managedFields: [] } }, code: 400, message: 'metadata.managedFields must be nil' },
    { name: 'wrong version', applied: { ...deployment(webSpec()), apiVersion: 'apps/v1beta1' }, code: 400, message: 'invalid object type: apps/v1beta1, Kind=Deployment' },
    { name: 'no kind', applied: { apiVersion: 'apps/v1', metadata: { name: 'web' } }, code: 400, message: 'invalid object type: apps/v1, Kind=' },
    {
      name: 'duplicate keys',
      applied: { ...DEPLOY, metadata: { name: 'web', namespace: 'default' }, spec: { template: { spec: { containers: [{ name: 'a' }, { name: 'a' }] } } } },
      code: 500,
      message: 'failed to create typed patch object (default/web; apps/v1, Kind=Deployment): .spec.template.spec.containers: duplicate entries for key [name="a"]',
    },
    {
      name: 'missing key',
      applied: { ...DEPLOY, metadata: { name: 'web' }, spec: { template: { spec: { containers: [{ image: 'x' }] } } } },
      code: 500,
      message: 'failed to create typed patch object (/web; apps/v1, Kind=Deployment): .spec.template.spec.containers: element 0: associative list with keys has an element that omits all key fields ["name"] (and doesn\'t have default values for any key fields)',
    },
  ];
  for (const c of cases) {
    const err = applyErr(() => apply(stored, c.applied, 'ci'));
    assert.equal(err.code, c.code, c.name);
    assert.equal(err.message, c.message, c.name);
  }
});

test('patch options and User-Agent managers', () => {
  assert.equal(validatePatchOptions({ apply: true, fieldManager: undefined, force: undefined })?.message,
    'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
  assert.equal(validatePatchOptions({ apply: false, fieldManager: 'x', force: 'true' })?.message,
    'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch');
  assert.equal(validatePatchOptions({ apply: true, fieldManager: 'm'.repeat(129), force: undefined })?.message,
    'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Too long: may not be more than 128 bytes');
  assert.equal(validatePatchOptions({ apply: true, fieldManager: 'kubectl', force: 'true' }), undefined);
  assert.equal(validatePatchOptions({ apply: true, fieldManager: 'a\u0007', force: undefined })?.code, 422);
  const ua: [string | undefined, string][] = [
    ['kubectl/v1.32.0 (linux/amd64) kubernetes/abc', 'kubectl'],
    ['kube-controller-manager/v1.32.0', 'kube-controller-manager'],
    ['curl', 'curl'],
    [undefined, ''],
    ['x'.repeat(200), 'x'.repeat(128)],
  ];
  for (const [u, want] of ua) assert.equal(managerFromUserAgent(u), want);
});
