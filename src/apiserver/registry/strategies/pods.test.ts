import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject, StrategyContext } from '../strategy.js';
import { computeQosClass, podStrategy } from './pods.js';
import { imageTag, parseResourceQuantity, quantityText } from './pod_template.js';

/** Parses and re-prints; the input itself when it does not parse. */
function canonicalQuantity(input: unknown): string {
  const q = parseResourceQuantity(input);
  return q === null ? String(input) : quantityText(q);
}

const ctx: StrategyContext = { namespace: 'default', now: new Date('2024-01-01T00:00:00Z') };

function pod(spec: Record<string, unknown>, extra: Partial<KubeObject> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec, ...extra };
}

/** Defaults, prepares and validates as the store does on create; answers the error strings. */
function createErrors(o: KubeObject): string[] {
  podStrategy.defaults!(o);
  podStrategy.prepareForCreate!(o, ctx);
  return podStrategy.validate!(o, ctx).map(String);
}

const c = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({ name: 'c', image: 'nginx', ...extra });

test('pod defaults', () => {
  const o = pod({ containers: [c({ ports: [{ containerPort: 80 }], livenessProbe: { httpGet: { port: 80 } } }), c({ name: 'd', image: 'nginx:1.25' })] });
  podStrategy.defaults!(o);
  const spec = o.spec as Record<string, unknown>;
  assert.equal(spec.restartPolicy, 'Always');
  assert.equal(spec.dnsPolicy, 'ClusterFirst');
  assert.equal(spec.terminationGracePeriodSeconds, 30);
  assert.equal(spec.schedulerName, 'default-scheduler');
  assert.deepEqual(spec.securityContext, {});
  assert.equal(spec.enableServiceLinks, true);
  const [c0, c1] = spec.containers as Record<string, unknown>[];
  assert.equal(c0!.imagePullPolicy, 'Always');
  assert.equal(c1!.imagePullPolicy, 'IfNotPresent');
  assert.equal(c0!.terminationMessagePath, '/dev/termination-log');
  assert.equal(c0!.terminationMessagePolicy, 'File');
  assert.deepEqual(c0!.ports, [{ containerPort: 80, protocol: 'TCP' }]);
  assert.deepEqual(c0!.livenessProbe, { httpGet: { port: 80, path: '/', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
});

test('image tags decide the pull policy', () => {
  for (const [image, tag] of [
    ['nginx', 'latest'], ['nginx:latest', 'latest'], ['nginx:1.2', '1.2'], ['localhost:5000/nginx', 'latest'],
    ['localhost:5000/nginx:v1', 'v1'], ['nginx@sha256:abc', ''], ['nginx:1@sha256:abc', '1'],
  ] as const) assert.equal(imageTag(image), tag, image);
});

test('pod status on create', () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ containers: [c()] }, 'BestEffort'],
    [{ containers: [c({ resources: { limits: { cpu: '1', memory: '1Gi' } } })] }, 'Guaranteed'],
    [{ containers: [c({ resources: { requests: { cpu: '100m' } } })] }, 'Burstable'],
    [{ containers: [c({ resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '2', memory: '1Gi' } } })] }, 'Burstable'],
  ];
  for (const [spec, qos] of cases) {
    const o = pod(spec);
    assert.deepEqual(createErrors(o), []);
    assert.deepEqual(o.status, { phase: 'Pending', qosClass: qos });
  }
  assert.equal(computeQosClass({ containers: [] }), 'BestEffort');
});

test('pod create validation messages', () => {
  const cases: [Record<string, unknown>, string[]][] = [
    [{}, ['spec.containers: Required value']],
    [{ containers: [] }, ['spec.containers: Required value']],
    [{ containers: [{ name: 'c' }] }, ['spec.containers[0].image: Required value']],
    [{ containers: [{ image: 'x' }] }, ['spec.containers[0].name: Required value']],
    [{ containers: [c({ name: 'Foo' })] }, [
      'spec.containers[0].name: Invalid value: "Foo": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or \'-\', and must start and end with an alphanumeric character (e.g. \'my-name\',  or \'123-abc\', regex used for validation is \'[a-z0-9]([-a-z0-9]*[a-z0-9])?\')',
    ]],
    [{ containers: [c(), c()] }, ['spec.containers[1].name: Duplicate value: "c"']],
    [{ containers: [c({ ports: [{ containerPort: 70000 }] })] }, ['spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive']],
    [{ containers: [c({ ports: [{ containerPort: 80, name: 'http' }, { containerPort: 81, name: 'http' }] })] }, ['spec.containers[0].ports[1].name: Duplicate value: "http"']],
    [{ containers: [c({ ports: [{ containerPort: 80, protocol: 'HTTP' }] })] }, ['spec.containers[0].ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"']],
    [{ containers: [c({ env: [{ name: 'A=B' }] })] }, ['spec.containers[0].env[0].name: Invalid value: "A=B": a valid environment variable name must consist only of printable ASCII characters other than \'=\'']],
    [{ containers: [c({ env: [{ name: '' }] })] }, ['spec.containers[0].env[0].name: Required value']],
    [{ containers: [c()], restartPolicy: 'Sometimes' }, ['spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"']],
    [{ containers: [c()], dnsPolicy: 'Foo' }, ['spec.dnsPolicy: Unsupported value: "Foo": supported values: "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"']],
    [{ containers: [c({ resources: { requests: { cpu: '2' }, limits: { cpu: '1' } } })] }, ['spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1']],
    [{ containers: [c({ resources: { requests: { memory: '2Gi' }, limits: { memory: '1024Mi' } } })] }, ['spec.containers[0].resources.requests: Invalid value: "2Gi": must be less than or equal to memory limit of 1Gi']],
    [{ containers: [c({ resources: { requests: { cpu: '-1' } } })] }, ['spec.containers[0].resources.requests[cpu]: Invalid value: "-1": must be greater than or equal to 0']],
    [{ containers: [c({ resources: { limits: { 'example.com/gpu': '0.5' } } })] }, [
      'spec.containers[0].resources.limits[example.com/gpu]: Invalid value: "500m": must be an integer',
      'spec.containers[0].resources.requests[example.com/gpu]: Invalid value: "500m": must be an integer',
    ]],
    [{ containers: [c({ volumeMounts: [{ name: 'data', mountPath: '/d' }] })] }, ['spec.containers[0].volumeMounts[0].name: Not found: "data"']],
    [{ containers: [c({ volumeMounts: [{ name: 'data', mountPath: '/d' }] })], volumes: [{ name: 'data', emptyDir: {} }, { name: 'data', emptyDir: {} }] }, ['spec.volumes[1].name: Duplicate value: "data"']],
    [{ containers: [c()], volumes: [{ name: 'v', emptyDir: {}, hostPath: { path: '/x' } }] }, ['spec.volumes[0].hostPath: Forbidden: may not specify more than 1 volume type']],
    [{ containers: [c()], tolerations: [{ operator: 'Equal', value: 'x' }] }, ['spec.tolerations[0].operator: Invalid value: "Equal": operator must be Exists when `key` is empty, which means "match all values and all keys"']],
    [{ containers: [c()], tolerations: [{ key: 'k', operator: 'Exists', effect: 'Bad' }] }, ['spec.tolerations[0].effect: Unsupported value: "Bad": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"']],
    [{ containers: [c({ image: ' nginx' })] }, ['spec.containers[0].image: Invalid value: " nginx": must not have leading or trailing whitespace']],
    [{ containers: [c()], activeDeadlineSeconds: 0 }, ['spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive']],
    [{ containers: [c()], initContainers: [c()] }, ['spec.initContainers[0].name: Duplicate value: "c"']],
    [{ containers: [c({ livenessProbe: { exec: { command: ['true'] }, successThreshold: 2 } })] }, ['spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1']],
  ];
  for (const [spec, want] of cases) assert.deepEqual(createErrors(pod(spec)), want, JSON.stringify(spec));
});

test('quantities print canonically', () => {
  for (const [inp, out] of [['1000m', '1'], ['0.5', '500m'], ['1024Mi', '1Gi'], ['1536Mi', '1536Mi'], ['1000', '1k'], ['1e3', '1e3'], ['0.5Ki', '512'], ['100Mi', '100Mi'], ['-1', '-1'], [2, '2']] as const) {
    assert.equal(canonicalQuantity(inp), out, String(inp));
  }
});

test('pod update: only images, activeDeadlineSeconds, tolerations may change', () => {
  const base = (): KubeObject => {
    const o = pod({ containers: [c()], nodeName: 'n1' });
    o.metadata!.resourceVersion = '1';
    podStrategy.defaults!(o);
    podStrategy.prepareForCreate!(o, ctx);
    return o;
  };
  const old = base();
  const ok = base();
  (ok.spec as { containers: { image: string }[] }).containers[0]!.image = 'nginx:2';
  (ok.spec as Record<string, unknown>).activeDeadlineSeconds = 10;
  (ok.spec as Record<string, unknown>).tolerations = [{ key: 'a', operator: 'Exists' }];
  assert.deepEqual(podStrategy.validateUpdate!(ok, old, ctx).map(String), []);

  const bad = base();
  (bad.spec as Record<string, unknown>).nodeName = 'n2';
  const errs = podStrategy.validateUpdate!(bad, old, ctx);
  assert.equal(errs.length, 1);
  assert.equal(errs[0]!.field, 'spec');
  assert.ok(errs[0]!.toString().startsWith('spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n  core.PodSpec{'));
  assert.match(errs[0]!.toString(), /- \tNodeName: "n1",\n\+ \tNodeName: "n2",/);

  const more = base();
  (more.spec as { containers: unknown[] }).containers.push(c({ name: 'd' }));
  podStrategy.defaults!(more);
  assert.deepEqual(podStrategy.validateUpdate!(more, old, ctx).map(String), ['spec.containers: Forbidden: pod updates may not add or remove containers']);

  const tolOld = base();
  (tolOld.spec as Record<string, unknown>).tolerations = [{ key: 'a', operator: 'Exists' }];
  const tolNew = base();
  (tolNew.spec as Record<string, unknown>).tolerations = [{ key: 'b', operator: 'Exists' }];
  assert.deepEqual(podStrategy.validateUpdate!(tolNew, tolOld, ctx).map(String), ['spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds']);
});

test('pod status updates', () => {
  const old = pod({ containers: [c()] }, { status: { phase: 'Pending', qosClass: 'BestEffort' } });
  const next = pod({ containers: [c()] }, { status: { phase: 'Running', qosClass: 'Guaranteed', podIPs: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }] } });
  assert.deepEqual(podStrategy.validateStatusUpdate!(next, old, ctx).map(String), [
    'status.qosClass: Invalid value: "Guaranteed": field is immutable',
    'status.podIPs: Invalid value: [{"ip":"10.0.0.1"},{"ip":"10.0.0.2"}]: may specify no more than one IP for each IP family',
  ]);
});

test('pod selectable fields and grace periods', () => {
  const o = pod({ containers: [c()], nodeName: 'n1', hostNetwork: true }, { status: { phase: 'Running', podIPs: [{ ip: '10.1.2.3' }] } });
  podStrategy.defaults!(o);
  assert.deepEqual(podStrategy.selectableFields!(o), {
    'spec.nodeName': 'n1', 'spec.restartPolicy': 'Always', 'spec.schedulerName': 'default-scheduler', 'spec.serviceAccountName': '',
    'spec.hostNetwork': 'true', 'status.phase': 'Running', 'status.podIP': '10.1.2.3', 'status.nominatedNodeName': '',
  });
  const cases: [Record<string, unknown>, string | undefined, number | undefined, number][] = [
    [{ nodeName: 'n1', terminationGracePeriodSeconds: 30 }, 'Running', undefined, 30],
    [{ nodeName: 'n1', terminationGracePeriodSeconds: 30 }, 'Running', 5, 5],
    [{ terminationGracePeriodSeconds: 30 }, 'Pending', undefined, 0],
    [{ nodeName: 'n1', terminationGracePeriodSeconds: 30 }, 'Succeeded', undefined, 0],
    [{ nodeName: 'n1', terminationGracePeriodSeconds: -5 }, 'Running', undefined, 1],
  ];
  for (const [spec, phase, requested, want] of cases) {
    assert.equal(podStrategy.gracePeriodSeconds!(pod({ containers: [c()], ...spec }, { status: { phase } }), requested), want);
  }
});
