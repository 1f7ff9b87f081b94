import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RESOURCES, lookupResource } from '../../../api/resources.js';
import type { KubeObject, Strategy, StrategyContext } from '../strategy.js';
import { configMapStrategy } from './configmaps.js';
import { endpointSliceStrategy } from './endpointslices.js';
import { eventStrategy } from './events.js';
import { namespaceStrategy } from './namespaces.js';
import { nodeStrategy } from './nodes.js';
import { nameValidatorFor, STRATEGIES, strategyFor } from './registry.js';
import { secretStrategy } from './secrets.js';
import { serviceStrategy } from './services.js';

const ctx: StrategyContext = { namespace: 'default', now: new Date(0) };

function create(s: Strategy, o: KubeObject): string[] {
  s.defaults?.(o);
  s.prepareForCreate?.(o, ctx);
  return (s.validate?.(o, ctx) ?? []).map(String);
}

const meta = { name: 'x', namespace: 'default' };

test('service defaults', () => {
  const o: KubeObject = { metadata: meta, spec: { selector: { app: 'x' }, ports: [{ port: 80 }] } };
  assert.deepEqual(create(serviceStrategy, o), []);
  assert.deepEqual(o.spec, {
    selector: { app: 'x' }, ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }], sessionAffinity: 'None', type: 'ClusterIP',
    internalTrafficPolicy: 'Cluster', ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv4'],
  });
  assert.deepEqual(serviceStrategy.selectableFields!(o), { 'spec.clusterIP': '', 'spec.type': 'ClusterIP' });
});

test('core validation messages', () => {
  const cases: [Strategy, KubeObject, string[]][] = [
    [serviceStrategy, { metadata: meta, spec: {} }, ['spec.ports: Required value']],
    [serviceStrategy, { metadata: meta, spec: { clusterIP: 'None' } }, []],
    [serviceStrategy, { metadata: meta, spec: { ports: [{ port: 70000 }] } }, [
      'spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive',
      'spec.ports[0].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
    ]],
    [serviceStrategy, { metadata: meta, spec: { ports: [{ port: 80 }, { port: 81 }] } }, ['spec.ports[0].name: Required value', 'spec.ports[1].name: Required value']],
    [serviceStrategy, { metadata: meta, spec: { ports: [{ port: 80, name: 'a' }, { port: 80, name: 'b' }] } }, [
      'spec.ports[1]: Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}',
    ]],
    [serviceStrategy, { metadata: meta, spec: { type: 'Foo', ports: [{ port: 80 }] } }, ['spec.type: Unsupported value: "Foo": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"']],
    [configMapStrategy, { metadata: meta, data: { a: '1', 'b c': '2' }, binaryData: { a: 'AA==' } }, [
      'data[a]: Invalid value: "a": duplicate of key present in binaryData',
      'data[b c]: Invalid value: "b c": a valid config key must consist of alphanumeric characters, \'-\', \'_\' or \'.\' (e.g. \'key.name\',  or \'KEY_NAME\',  or \'key-name\', regex used for validation is \'[-._a-zA-Z0-9]+\')',
    ]],
    [configMapStrategy, { metadata: meta, data: { a: 'x'.repeat(1024 * 1024 + 1) } }, [': Too long: may not be more than 1048576 bytes']],
    [secretStrategy, { metadata: meta, type: 'kubernetes.io/tls', data: {} }, ['data[tls.crt]: Required value', 'data[tls.key]: Required value']],
    [secretStrategy, { metadata: meta, type: 'kubernetes.io/dockerconfigjson', stringData: { '.dockerconfigjson': '{}' } }, []],
    [namespaceStrategy, { metadata: { name: 'ns' }, spec: { finalizers: ['foo'] } }, ['spec.finalizers: Invalid value: "foo": name is neither a standard finalizer name nor is it fully qualified']],
    [nodeStrategy, { metadata: { name: 'n' }, spec: { taints: [{ key: 'k', effect: 'Sometimes' }] } }, [
      'metadata.taints[0].effect: Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"',
    ]],
    [endpointSliceStrategy, { metadata: meta, addressType: 'IPv5', endpoints: [] }, ['addressType: Unsupported value: "IPv5": supported values: "FQDN", "IPv4", "IPv6"']],
  ];
  for (const [s, o, want] of cases) assert.deepEqual(create(s, o), want, `${s.resource.plural} ${JSON.stringify(o).slice(0, 120)}`);
});

test('secrets and namespaces on create', () => {
  const s: KubeObject = { metadata: meta, stringData: { user: 'me' } };
  assert.deepEqual(create(secretStrategy, s), []);
  assert.equal(s.type, 'Opaque');
  assert.deepEqual(s.data, { user: 'bWU=' });
  assert.equal(s.stringData, undefined);
  assert.deepEqual(secretStrategy.selectableFields!(s), { type: 'Opaque' });

  const ns: KubeObject = { metadata: { name: 'team' } };
  assert.deepEqual(create(namespaceStrategy, ns), []);
  assert.deepEqual(ns.spec, { finalizers: ['kubernetes'] });
  assert.deepEqual(ns.status, { phase: 'Active' });
  assert.deepEqual(ns.metadata?.labels, { 'kubernetes.io/metadata.name': 'team' });
  assert.deepEqual(namespaceStrategy.validateStatusUpdate!({ ...ns, status: { phase: 'Terminating' } }, ns, ctx).map(String), [
    'status.Phase: Invalid value: "Terminating": may only be \'Active\' if `deletionTimestamp` is empty',
  ]);
});

test('events live an hour and select by involved object', () => {
  const e: KubeObject = { metadata: meta, involvedObject: { kind: 'Pod', name: 'p', namespace: 'default' }, reason: 'Started', type: 'Normal', source: { component: 'kubelet' } };
  assert.equal(eventStrategy.ttlSeconds, 3600);
  assert.deepEqual(create(eventStrategy, e), []);
  assert.equal(eventStrategy.selectableFields!(e)['involvedObject.name'], 'p');
  assert.equal(eventStrategy.selectableFields!(e).source, 'kubelet');
  const bad: KubeObject = { metadata: meta, involvedObject: { namespace: 'other' } };
  assert.deepEqual(create(eventStrategy, bad), ['involvedObject.namespace: Invalid value: "other": does not match event.namespace']);
});

test('registry: every strategy names a table resource once; the rest are generic', () => {
  const seen = new Set<string>();
  for (const s of STRATEGIES) {
    const key = `${s.resource.group}/${s.resource.version}/${s.resource.plural}`;
    assert.ok(!seen.has(key), key);
    seen.add(key);
    assert.equal(strategyFor(s.resource), s);
  }
  for (const r of RESOURCES) assert.equal(strategyFor(r).resource.plural, r.plural);
  const roles = lookupResource('rbac.authorization.k8s.io', 'v1', 'roles')!;
  assert.equal(strategyFor(roles).validate, undefined);
  assert.deepEqual(nameValidatorFor(lookupResource('', 'v1', 'services')!)('1abc', false).length, 1);
  assert.deepEqual(nameValidatorFor(lookupResource('', 'v1', 'namespaces')!)('a.b', false), ['must not contain dots']);
});
