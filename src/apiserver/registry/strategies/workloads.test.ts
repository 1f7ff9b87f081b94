import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject, Strategy, StrategyContext } from '../strategy.js';
import { cronScheduleError } from './cron.js';
import { daemonSetStrategy } from './daemonsets.js';
import { deploymentStrategy } from './deployments.js';
import { cronJobStrategy, jobStrategy } from './jobs.js';
import { replicaSetStrategy } from './replicasets.js';
import { replicationControllerStrategy } from './replicationcontrollers.js';
import { statefulSetStrategy } from './statefulsets.js';

const ctx: StrategyContext = { namespace: 'default', now: new Date(0) };
const template = (labels: Record<string, string> | undefined, podSpec: Record<string, unknown> = {}): Record<string, unknown> => ({
  metadata: labels === undefined ? {} : { labels }, spec: { containers: [{ name: 'c', image: 'nginx' }], ...podSpec },
});

function obj(kind: string, spec: Record<string, unknown>): KubeObject {
  return { kind, metadata: { name: 'x', namespace: 'default', uid: 'u-1' }, spec };
}

function create(s: Strategy, o: KubeObject): string[] {
  s.defaults!(o);
  s.prepareForCreate?.(o, ctx);
  return s.validate!(o, ctx).map(String);
}

test('deployment defaults', () => {
  const o = obj('Deployment', { selector: { matchLabels: { app: 'x' } }, template: template({ app: 'x' }) });
  assert.deepEqual(create(deploymentStrategy, o), []);
  const spec = o.spec as Record<string, unknown>;
  assert.equal(spec.replicas, 1);
  assert.deepEqual(spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
  assert.equal(spec.revisionHistoryLimit, 10);
  assert.equal(spec.progressDeadlineSeconds, 600);
  assert.equal(((spec.template as { spec: Record<string, unknown> }).spec).restartPolicy, 'Always');
});

test('workload validation messages', () => {
  const cases: [Strategy, Record<string, unknown>, string[]][] = [
    [deploymentStrategy, { template: template({ app: 'y' }) }, [
      'spec.selector: Required value',
      'spec.template.metadata.labels: Invalid value: map[string]string{"app":"y"}: `selector` does not match template `labels`',
    ]],
    [deploymentStrategy, { selector: { matchLabels: { app: 'x' } }, template: template({ app: 'y' }) }, [
      'spec.template.metadata.labels: Invalid value: map[string]string{"app":"y"}: `selector` does not match template `labels`',
    ]],
    [deploymentStrategy, { replicas: -1, selector: { matchLabels: { app: 'x' } }, template: template({ app: 'x' }) }, [
      'spec.replicas: Invalid value: -1: must be greater than or equal to 0',
    ]],
    [deploymentStrategy, { selector: { matchLabels: { app: 'x' } }, template: template({ app: 'x' }, { restartPolicy: 'Never' }) }, [
      'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
    ]],
    [deploymentStrategy, { selector: {}, template: template({ app: 'x' }) }, [
      'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment',
    ]],
    [deploymentStrategy, { selector: { matchLabels: { app: 'x' } }, template: template({ app: 'x' }), strategy: { rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } } }, [
      'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:""}: may not be 0 when `maxSurge` is 0',
    ]],
    [replicaSetStrategy, { selector: { matchLabels: { a: 'b' } }, template: template(undefined) }, [
      'spec.template.metadata.labels: Invalid value: map[string]string(nil): `selector` does not match template `labels`',
    ]],
    [statefulSetStrategy, { selector: { matchLabels: { a: 'b' } }, template: template({ a: 'b' }), serviceName: 's' }, []],
    [daemonSetStrategy, { selector: { matchLabels: { a: 'b' } }, template: template({ a: 'b' }, { activeDeadlineSeconds: 5 }) }, [
      'spec.template.spec.activeDeadlineSeconds: Invalid value: 5: activeDeadlineSeconds in DaemonSet is not Supported',
    ]],
    [replicationControllerStrategy, { template: template(undefined) }, ['spec.selector: Required value']],
    [jobStrategy, { template: template(undefined) }, [
      'spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"',
    ]],
    [jobStrategy, { template: template(undefined, { restartPolicy: 'Never' }) }, []],
    [cronJobStrategy, { schedule: '*/5 * * * *', jobTemplate: { spec: { template: template(undefined, { restartPolicy: 'OnFailure' }) } } }, []],
    [cronJobStrategy, { schedule: 'every minute', jobTemplate: { spec: { template: template(undefined, { restartPolicy: 'OnFailure' }) } } }, [
      'spec.schedule: Invalid value: "every minute": expected exactly 5 fields, found 2: [every minute]',
    ]],
  ];
  for (const [s, spec, want] of cases) assert.deepEqual(create(s, obj(s.resource.kind, structuredClone(spec))), want, `${s.resource.kind} ${JSON.stringify(spec)}`);
});

test('job selector is generated from the uid', () => {
  const o = obj('Job', { template: template({ app: 'j' }, { restartPolicy: 'Never' }) });
  assert.deepEqual(create(jobStrategy, o), []);
  const spec = o.spec as { selector: unknown; template: { metadata: { labels: unknown } }; backoffLimit: number; completions: number; parallelism: number };
  assert.deepEqual(spec.selector, { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u-1' } });
  assert.deepEqual(spec.template.metadata.labels, {
    app: 'j', 'controller-uid': 'u-1', 'job-name': 'x', 'batch.kubernetes.io/controller-uid': 'u-1', 'batch.kubernetes.io/job-name': 'x',
  });
  assert.equal(spec.backoffLimit, 6);
  assert.equal(spec.completions, 1);
  assert.equal(spec.parallelism, 1);
});

test('selectors are immutable on update', () => {
  const old = obj('Deployment', { selector: { matchLabels: { app: 'x' } }, template: template({ app: 'x', tier: 'redis' }) });
  deploymentStrategy.defaults!(old);
  const next = structuredClone(old);
  (next.spec as { selector: unknown }).selector = { matchLabels: { tier: 'redis' } };
  assert.deepEqual(deploymentStrategy.validateUpdate!(next, old, ctx).map(String), [
    'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"tier":"redis"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
  ]);
});

test('cron schedules', () => {
  const cases: [string, string | undefined][] = [
    ['* * * * *', undefined], ['0 0 1 jan mon', undefined], ['@hourly', undefined], ['@every 5m', undefined], ['*/15 0-6,20 * * 1-5', undefined],
    ['61 * * * *', 'end of range (61) above maximum (59): 61'],
    ['* * 0 * *', 'beginning of range (0) below minimum (1): 0'],
    ['@often', 'unrecognized descriptor: @often'],
    ['* * * *', 'expected exactly 5 fields, found 4: [* * * *]'],
  ];
  for (const [s, want] of cases) assert.equal(cronScheduleError(s), want, s);
});
