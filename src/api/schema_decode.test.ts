// Tests for decoding request bodies against the kinds' schemas (pruning, nulls, type errors, depth).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from './errors.js';
import { decodeAgainstSchema, decodeWithSchema, MAX_DEPTH } from './schema_decode.js';
import type { GroupVersionKind } from './resources.js';

const POD: GroupVersionKind = { group: '', version: 'v1', kind: 'Pod' };
const DEPLOYMENT: GroupVersionKind = { group: 'apps', version: 'v1', kind: 'Deployment' };
const SERVICE: GroupVersionKind = { group: '', version: 'v1', kind: 'Service' };
const SECRET: GroupVersionKind = { group: '', version: 'v1', kind: 'Secret' };
const CONFIGMAP: GroupVersionKind = { group: '', version: 'v1', kind: 'ConfigMap' };
const REVISION: GroupVersionKind = { group: 'apps', version: 'v1', kind: 'ControllerRevision' };
const NODE: GroupVersionKind = { group: '', version: 'v1', kind: 'Node' };
const WIDGET: GroupVersionKind = { group: 'example.com', version: 'v1', kind: 'Widget' };

type Obj = Record<string, unknown>;

function deployment(): Obj {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web',
      namespace: 'default',
      labels: { app: 'web' },
      annotations: { a: 'b' },
      creationTimestamp: '2024-01-01T00:00:00Z',
      managedFields: [{ manager: 'm', operation: 'Apply', time: '2024-01-01T00:00:00Z', fieldsV1: { 'f:spec': { 'f:x': {}, '.': {} } } }],
    },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'k', operator: 'In', values: ['a', 'b'] }] },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          terminationGracePeriodSeconds: 30,
          securityContext: { runAsUser: 1000, supplementalGroups: [1, 2] },
          containers: [
            {
              name: 'web',
              image: 'nginx',
              command: ['nginx', '-g'],
              ports: [{ containerPort: 80, protocol: 'TCP' }],
              env: [{ name: 'A', value: '1' }, { name: 'B', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
              resources: { limits: { cpu: '1', memory: '128Mi' }, requests: { cpu: '250m' } },
              readinessProbe: { httpGet: { port: 'http', path: '/' }, periodSeconds: 5 },
              securityContext: { privileged: false, capabilities: { add: ['NET_ADMIN'] } },
            },
          ],
          volumes: [{ name: 'v', emptyDir: {} }, { name: 'c', configMap: { name: 'cm', items: [{ key: 'k', path: 'p' }] } }],
        },
      },
    },
    status: { replicas: 0, observedGeneration: 3, conditions: [{ type: 'Available', status: 'True', lastTransitionTime: '2024-01-01T00:00:00Z' }] },
  };
}

function decode(gvk: GroupVersionKind, obj: unknown): unknown {
  return decodeAgainstSchema(gvk, obj).object;
}

/** The 400 message decoding `obj` fails with. */
function failure(gvk: GroupVersionKind, obj: unknown): string {
  try {
    decodeAgainstSchema(gvk, obj);
  } catch (err) {
    assert.ok(err instanceof ApiError, `not an ApiError: ${String(err)}`);
    assert.equal(err.code, 400);
    assert.equal(err.reason, 'BadRequest');
    return err.message;
  }
  assert.fail('decoded without an error');
}

/** `depth` arrays nested in each other: `[[[...]]]`, built without recursion. */
function nestedArrays(depth: number): unknown[] {
  let v: unknown[] = [];
  for (let i = 1; i < depth; i++) v = [v];
  return v;
}

// ---- valid objects ------------------------------------------------------------------------------

test('valid objects come back deep-equal, as new objects, the input untouched', () => {
  const cases: Array<[GroupVersionKind, Obj]> = [
    [DEPLOYMENT, deployment()],
    [POD, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'x', uid: 'u', controller: true }] }, spec: { containers: [{ name: 'c', image: 'i' }], nodeSelector: { a: 'b' }, tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoSchedule', tolerationSeconds: 5 }] } }],
    [SERVICE, { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { type: 'ClusterIP', ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }, { port: 81, targetPort: 'web' }], selector: { app: 'web' } } }],
    [CONFIGMAP, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: 'b', '': '' }, binaryData: { b: 'AAEC' }, immutable: true }],
    [SECRET, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, type: 'Opaque', data: { a: 'YWJj', b: '', c: 'QQ==' }, stringData: { x: 'y' } }],
    [REVISION, { apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name: 'r' }, revision: 9007199254740991, data: { anything: [1, { deep: null }], spec: 'x' } }],
    [{ group: 'apps', version: 'v1', kind: 'DeploymentList' }, { apiVersion: 'apps/v1', kind: 'DeploymentList', metadata: { resourceVersion: '1' }, items: [deployment()] }],
    [{ group: 'autoscaling', version: 'v1', kind: 'Scale' }, { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'd' }, spec: { replicas: 3 } }],
    [POD, {}],
  ];
  for (const [gvk, obj] of cases) {
    const before = structuredClone(obj);
    const out = decode(gvk, obj);
    assert.deepStrictEqual(out, obj, gvk.kind);
    assert.notEqual(out, obj);
    assert.deepStrictEqual(obj, before, 'input not mutated');
  }
  // No shared substructure: changing the output leaves the input alone.
  const input = deployment();
  const out = decode(DEPLOYMENT, input) as { metadata: { labels: Obj; managedFields: Array<{ fieldsV1: Obj }> } };
  out.metadata.labels.x = 'y';
  out.metadata.managedFields[0]!.fieldsV1.z = 1;
  assert.deepStrictEqual(input, deployment());
});

test('kinds without a schema come back unchanged', () => {
  const obj = { apiVersion: 'example.com/v1', kind: 'Widget', spec: { anything: [1, null, { x: true }] } };
  assert.equal(decode(WIDGET, obj), obj);
});

// ---- pruning ------------------------------------------------------------------------------------

test('undeclared fields are dropped at every depth', () => {
  const cases: Array<[string, GroupVersionKind, Obj, Obj]> = [
    ['root', POD, { kind: 'Pod', extra: 1, metadata: { name: 'p' } }, { kind: 'Pod', metadata: { name: 'p' } }],
    ['metadata', POD, { metadata: { name: 'p', Name: 'q', bogus: { deep: [1] } } }, { metadata: { name: 'p' } }],
    ['spec', DEPLOYMENT, { spec: { replicas: 1, foo: 'bar' } }, { spec: { replicas: 1 } }],
    ['list element', POD, { spec: { containers: [{ name: 'a', imagee: 'typo' }, { name: 'b' }] } }, { spec: { containers: [{ name: 'a' }, { name: 'b' }] } }],
    ['list in list element', POD, { spec: { containers: [{ name: 'a', ports: [{ containerPort: 1, bogus: true }] }] } }, { spec: { containers: [{ name: 'a', ports: [{ containerPort: 1 }] }] } }],
    [
      'deep in a template',
      DEPLOYMENT,
      { spec: { template: { metadata: { labels: { a: 'b' }, x: 1 }, spec: { containers: [{ name: 'c', resources: { limits: { cpu: '1' }, y: 2 }, readinessProbe: { httpGet: { port: 80, z: 3 } } }] } } } },
      { spec: { template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', resources: { limits: { cpu: '1' } }, readinessProbe: { httpGet: { port: 80 } } }] } } } },
    ],
    ['undeclared null', POD, { metadata: { name: 'p', gone: null } }, { metadata: { name: 'p' } }],
  ];
  for (const [what, gvk, input, want] of cases) assert.deepStrictEqual(decode(gvk, input), want, what);
});

test('map keys and free-form values are kept', () => {
  const cases: Array<[string, GroupVersionKind, Obj]> = [
    ['labels and annotations', POD, { metadata: { labels: { 'any/key': 'v', extra: 'x' }, annotations: { '': '' } } }],
    ['resource lists', POD, { spec: { containers: [{ name: 'c', resources: { limits: { 'example.com/gpu': '2' } } }] } }],
    ['RawExtension', REVISION, { data: { kind: 'X', unknown: { nested: [1, 'two', null, { three: 3 }] } } }],
    ['FieldsV1', POD, { metadata: { managedFields: [{ fieldsV1: { 'f:metadata': { 'f:labels': { 'f:x': {} } } } }] } }],
  ];
  for (const [what, gvk, input] of cases) assert.deepStrictEqual(decode(gvk, input), input, what);
});

test('x-kubernetes-preserve-unknown-fields keeps undeclared fields and still checks declared ones', () => {
  const gvk: GroupVersionKind = { group: 'example.com', version: 'v1', kind: 'Widget' };
  const schema = {
    type: 'object',
    properties: {
      spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { size: { type: 'integer' } } },
      strict: { type: 'object', properties: { a: { type: 'string' } } },
      free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
    },
  };
  const input = { spec: { size: 1, other: { x: [1] } }, strict: { a: 'x', b: 'dropped' }, free: { anything: null }, top: 'dropped' };
  assert.deepStrictEqual(decodeWithSchema(gvk, schema, input).object, { spec: { size: 1, other: { x: [1] } }, strict: { a: 'x' }, free: { anything: null } });
  // An inline object schema is an anonymous Go struct: its name prints as "".
  assert.throws(() => decodeWithSchema(gvk, schema, { spec: { size: '1' } }), {
    message: 'Widget in version "v1" cannot be handled as a Widget: json: cannot unmarshal string into Go struct field .spec.size of type int32',
  });
});

// ---- nulls --------------------------------------------------------------------------------------

test('null becomes the zero value', () => {
  const cases: Array<[string, GroupVersionKind, Obj, Obj]> = [
    ['string field', POD, { metadata: { name: null, namespace: 'n' } }, { metadata: { namespace: 'n' } }],
    ['struct field', POD, { metadata: null, spec: null }, {}],
    ['integer and bool fields', DEPLOYMENT, { spec: { replicas: null, paused: null } }, { spec: {} }],
    ['map field', POD, { metadata: { labels: null } }, { metadata: {} }],
    ['list field', POD, { spec: { containers: null } }, { spec: {} }],
    ['pointer to int-or-string', DEPLOYMENT, { spec: { strategy: { rollingUpdate: { maxSurge: null } } } }, { spec: { strategy: { rollingUpdate: {} } } }],
    ['Time field', POD, { metadata: { creationTimestamp: null } }, { metadata: {} }],
    ['RawExtension field', REVISION, { data: null }, {}],
    ['map[string]string value', POD, { metadata: { labels: { a: null, b: 'x' } } }, { metadata: { labels: { a: '', b: 'x' } } }],
    ['map[string][]byte value', SECRET, { data: { a: null } }, { data: { a: '' } }],
    ['Quantity map value', POD, { spec: { containers: [{ resources: { limits: { cpu: null } } }] } }, { spec: { containers: [{ resources: { limits: { cpu: '0' } } }] } }],
    ['[]string element', POD, { spec: { containers: [{ args: ['a', null, 'c'] }] } }, { spec: { containers: [{ args: ['a', '', 'c'] }] } }],
    ['[]int64 element', POD, { spec: { securityContext: { supplementalGroups: [null, 5] } } }, { spec: { securityContext: { supplementalGroups: [0, 5] } } }],
    ['[]Struct element', POD, { spec: { containers: [null, { name: 'b', ports: [null] }] } }, { spec: { containers: [{}, { name: 'b', ports: [{}] }] } }],
    ['free-form null kept', POD, { metadata: { managedFields: [{ fieldsV1: { a: null } }] } }, { metadata: { managedFields: [{ fieldsV1: { a: null } }] } }],
  ];
  for (const [what, gvk, input, want] of cases) assert.deepStrictEqual(decode(gvk, input), want, what);
  assert.deepStrictEqual(decode(POD, null), {});
});

// ---- type errors --------------------------------------------------------------------------------

test('values of the wrong JSON type are 400s worded as upstream', () => {
  const pod = 'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal';
  const dep = 'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal';
  const cases: Array<[string, GroupVersionKind, unknown, string]> = [
    // string fields
    ['number into string', POD, { metadata: { name: 5 } }, `${pod} number into Go struct field ObjectMeta.metadata.name of type string`],
    ['bool into string', POD, { metadata: { namespace: true } }, `${pod} bool into Go struct field ObjectMeta.metadata.namespace of type string`],
    ['object into string', POD, { metadata: { name: {} } }, `${pod} object into Go struct field ObjectMeta.metadata.name of type string`],
    ['array into string', POD, { metadata: { name: ['a'] } }, `${pod} array into Go struct field ObjectMeta.metadata.name of type string`],
    ['named string type', POD, { spec: { restartPolicy: 5 } }, `${pod} number into Go struct field PodSpec.spec.restartPolicy of type v1.RestartPolicy`],
    ['types.UID', POD, { metadata: { uid: 1 } }, `${pod} number into Go struct field ObjectMeta.metadata.uid of type types.UID`],
    ['list element path has no index', DEPLOYMENT, { spec: { template: { spec: { containers: [{ name: 'a' }, { name: 'b', env: [{ name: 'x', value: 5 }] }] } } } },
      `${dep} number into Go struct field EnvVar.spec.template.spec.containers.env.value of type string`],
    ['map value path has no key', POD, { metadata: { labels: { version: 5 } } }, `${pod} number into Go struct field ObjectMeta.metadata.labels of type string`],
    ['[]string element', POD, { metadata: { finalizers: ['a', 1] } }, `${pod} number into Go struct field ObjectMeta.metadata.finalizers of type string`],
    ['[]named element', POD, { spec: { containers: [{ securityContext: { capabilities: { add: [1] } } }] } },
      `${pod} number into Go struct field Capabilities.spec.containers.securityContext.capabilities.add of type v1.Capability`],
    // integers
    ['string into int32', DEPLOYMENT, { spec: { replicas: '3' } }, `${dep} string into Go struct field DeploymentSpec.spec.replicas of type int32`],
    ['fraction into int32', POD, { spec: { containers: [{ ports: [{ containerPort: 1.5 }] }] } }, `${pod} number 1.5 into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32`],
    ['int32 overflow', DEPLOYMENT, { spec: { replicas: 2147483648 } }, `${dep} number 2147483648 into Go struct field DeploymentSpec.spec.replicas of type int32`],
    ['int32 underflow', DEPLOYMENT, { spec: { replicas: -2147483649 } }, `${dep} number -2147483649 into Go struct field DeploymentSpec.spec.replicas of type int32`],
    ['int64 field', POD, { spec: { terminationGracePeriodSeconds: 0.5 } }, `${pod} number 0.5 into Go struct field PodSpec.spec.terminationGracePeriodSeconds of type int64`],
    ['int64 overflow', POD, { metadata: { generation: 1e19 } }, `${pod} number 10000000000000000000 into Go struct field ObjectMeta.metadata.generation of type int64`],
    ['huge number', POD, { metadata: { generation: 1e300 } }, `${pod} number ${BigInt(1e300).toString()} into Go struct field ObjectMeta.metadata.generation of type int64`],
    ['bool into int', DEPLOYMENT, { spec: { replicas: true } }, `${dep} bool into Go struct field DeploymentSpec.spec.replicas of type int32`],
    ['[]int64 element', POD, { spec: { securityContext: { supplementalGroups: ['1'] } } }, `${pod} string into Go struct field PodSecurityContext.spec.securityContext.supplementalGroups of type int64`],
    // booleans
    ['string into bool', DEPLOYMENT, { spec: { paused: 'true' } }, `${dep} string into Go struct field DeploymentSpec.spec.paused of type bool`],
    ['number into bool', POD, { spec: { hostNetwork: 1 } }, `${pod} number into Go struct field PodSpec.spec.hostNetwork of type bool`],
    // objects and arrays
    ['array into struct', DEPLOYMENT, { spec: [] }, `${dep} array into Go struct field Deployment.spec of type v1.DeploymentSpec`],
    ['string into struct', POD, { metadata: 'x' }, `${pod} string into Go struct field Pod.metadata of type v1.ObjectMeta`],
    ['object into slice', POD, { spec: { containers: {} } }, `${pod} object into Go struct field PodSpec.spec.containers of type []v1.Container`],
    ['string into slice', POD, { metadata: { finalizers: 'a' } }, `${pod} string into Go struct field ObjectMeta.metadata.finalizers of type []string`],
    ['number into list element', POD, { spec: { containers: [1] } }, `${pod} number into Go struct field PodSpec.spec.containers of type v1.Container`],
    ['array into map', POD, { metadata: { labels: ['a'] } }, `${pod} array into Go struct field ObjectMeta.metadata.labels of type map[string]string`],
    ['array into named map', POD, { spec: { containers: [{ resources: { limits: [] } }] } }, `${pod} array into Go struct field ResourceRequirements.spec.containers.resources.limits of type v1.ResourceList`],
    ['number into bytes', SECRET, { data: { a: 1 } }, 'Secret in version "v1" cannot be handled as a Secret: json: cannot unmarshal number into Go struct field Secret.data of type []uint8'],
    ['root not an object', POD, [], `${pod} array into Go value of type v1.Pod`],
    ['root a string', DEPLOYMENT, 'x', `${dep} string into Go value of type v1.Deployment`],
    // custom unmarshalers: the error gets the field's context, the type is what they unmarshal into
    ['bool into int-or-string', DEPLOYMENT, { spec: { strategy: { rollingUpdate: { maxSurge: true } } } }, `${dep} bool into Go struct field RollingUpdateDeployment.spec.strategy.rollingUpdate.maxSurge of type int32`],
    ['fraction into int-or-string', SERVICE, { spec: { ports: [{ targetPort: 1.5 }] } }, 'Service in version "v1" cannot be handled as a Service: json: cannot unmarshal number 1.5 into Go struct field ServicePort.spec.ports.targetPort of type int32'],
    ['object into int-or-string', POD, { spec: { containers: [{ livenessProbe: { httpGet: { port: {} } } }] } }, `${pod} object into Go struct field HTTPGetAction.spec.containers.livenessProbe.httpGet.port of type int32`],
    ['number into Time', POD, { metadata: { creationTimestamp: 5 } }, `${pod} number into Go struct field ObjectMeta.metadata.creationTimestamp of type string`],
    ['object into Time', DEPLOYMENT, { status: { conditions: [{ lastUpdateTime: {} }] } }, `${dep} object into Go struct field DeploymentCondition.status.conditions.lastUpdateTime of type string`],
  ];
  for (const [what, gvk, input, want] of cases) assert.equal(failure(gvk, input), want, what);
});

test('Quantity values: strings and numbers, parsed as upstream', () => {
  const limits = (v: unknown): Obj => ({ spec: { containers: [{ resources: { limits: { cpu: v } } }] } });
  const ok: Array<[unknown, unknown]> = [['100m', '100m'], ['1.5', '1.5'], ['2Gi', '2Gi'], ['1e3', '1e3'], [' 1 ', ' 1 '], [1, '1'], [0.5, '500m'], [2048, '2048'], [-1, '-1']];
  for (const [input, want] of ok) assert.deepStrictEqual(decode(POD, limits(input)), limits(want), String(input));
  const wrong = "Pod in version \"v1\" cannot be handled as a Pod: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
  for (const bad of ['abc', '', true, {}, [1]]) assert.equal(failure(POD, limits(bad)), wrong, JSON.stringify(bad));
  assert.equal(failure(POD, limits('1mm')), 'Pod in version "v1" cannot be handled as a Pod: unable to parse quantity\'s suffix');
});

test('int-or-string values: integers and strings', () => {
  for (const v of [0, 1, -1, 2147483647, '25%', 'http', '']) {
    const svc = { spec: { ports: [{ port: 80, targetPort: v }] } };
    assert.deepStrictEqual(decode(SERVICE, svc), svc, String(v));
  }
  assert.match(failure(SERVICE, { spec: { ports: [{ targetPort: 2147483648 }] } }), /cannot unmarshal number 2147483648 into Go struct field ServicePort\.spec\.ports\.targetPort of type int32$/);
});

test('base64 in []byte values', () => {
  assert.deepStrictEqual(decode(SECRET, { data: { a: 'YW\r\nJj' } }), { data: { a: 'YWJj' } }, 'newlines are skipped');
  const cases: Array<[string, number]> = [['abc', 0], ['YWJj!', 4], ['YW=j', 2], ['YWJjZ', 4], ['Y===', 1], ['YQ=', 3], ['YQ==YQ==', 4], ['é', 0]];
  for (const [bad, at] of cases) {
    assert.equal(failure(SECRET, { data: { a: bad } }), `Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte ${at}`, bad);
  }
  assert.equal(failure(CONFIGMAP, { binaryData: { a: '%%%%' } }), 'ConfigMap in version "v1" cannot be handled as a ConfigMap: illegal base64 data at input byte 0');
});

test('the first type error wins; a custom unmarshaler error wins over an earlier one', () => {
  assert.match(failure(POD, { metadata: { name: 1, namespace: 2 }, spec: { hostNetwork: 'x' } }), /ObjectMeta\.metadata\.name of type string$/);
  assert.match(failure(POD, { spec: { hostNetwork: 'x' }, metadata: { name: 1 } }), /PodSpec\.spec\.hostNetwork of type bool$/);
  assert.match(
    failure(POD, { metadata: { name: 1 }, spec: { containers: [{ resources: { limits: { cpu: 'abc' } } }] } }),
    /quantities must match/,
  );
});

test('apiVersion and kind are read first, as upstream does', () => {
  assert.equal(
    failure(POD, { apiVersion: 5, kind: 'Pod', metadata: { name: 1 } }),
    'the object provided is unrecognized (must be of type Pod): couldn\'t get version/kind; json parse error: json: cannot unmarshal number into Go struct field .apiVersion of type string ({"apiVersion":5,"kind":"Pod"," ...)',
  );
  assert.throws(() => decodeAgainstSchema(NODE, { kind: {} }, { json: '{"kind": {}}' }), {
    message: 'the object provided is unrecognized (must be of type Node): couldn\'t get version/kind; json parse error: json: cannot unmarshal object into Go struct field .kind of type string ({"kind": {}})',
  });
  assert.deepStrictEqual(decode(POD, { apiVersion: null, kind: null }), {});
});

// ---- depth --------------------------------------------------------------------------------------

test(`nesting deeper than ${MAX_DEPTH} is rejected wherever it is`, () => {
  const tooDeep = 'Pod in version "v1" cannot be handled as a Pod: json: exceeded max depth';
  // The root object is depth 1; `place(n)` puts n nested arrays at the given depth below it.
  const places: Array<[string, number, (inner: unknown) => Obj]> = [
    ['undeclared field', 1, (v) => ({ extra: v })],
    ['undeclared field in a list element', 4, (v) => ({ spec: { containers: [{ extra: v }] } })],
    ['free-form field', 5, (v) => ({ metadata: { managedFields: [{ fieldsV1: { x: v } }] } })],
    ['map value of the wrong type', 3, (v) => ({ metadata: { labels: { x: v } } })],
    ['string field of the wrong type', 2, (v) => ({ metadata: { name: v } })],
    ['list of the wrong element type', 2, (v) => ({ metadata: { finalizers: v } })],
  ];
  for (const [what, above, place] of places) {
    const fits = MAX_DEPTH - above;
    const okObj = place(nestedArrays(fits));
    assert.doesNotThrow(() => {
      try {
        decodeAgainstSchema(POD, okObj);
      } catch (err) {
        if (err instanceof ApiError && /max depth/.test(err.message)) throw err; // type errors are fine here
      }
    }, what);
    assert.equal(failure(POD, place(nestedArrays(fits + 1))), tooDeep, what);
  }
  // Deep lists of lists within the schema itself.
  const deepSelector = { spec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ values: nestedArrays(MAX_DEPTH) }] }] } } } } };
  assert.equal(failure(POD, deepSelector), tooDeep);
});

test('a 100,000-deep body is rejected without overflowing the stack', () => {
  const depth = 100_000;
  const tooDeep = (kind: string): string => `${kind} in version "v1" cannot be handled as a ${kind}: json: exceeded max depth`;
  const arrays = JSON.parse(`{"extra":${'['.repeat(depth)}${']'.repeat(depth)}}`) as unknown;
  const objects = JSON.parse(`{"metadata":{"managedFields":[{"fieldsV1":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}]}}`) as unknown;
  assert.equal(failure(POD, arrays), tooDeep('Pod'));
  assert.equal(failure(POD, objects), tooDeep('Pod'));
  assert.equal(failure(WIDGET, arrays), tooDeep('Widget'), 'kinds without a schema too');
  assert.equal(failure(POD, nestedArrays(depth)), tooDeep('Pod'), 'a deep root of the wrong type');
  // The depth error wins over type errors before it, as upstream's scanner runs before decoding.
  assert.equal(failure(POD, { metadata: { name: 1 }, extra: arrays }), tooDeep('Pod'));
  assert.equal(failure(POD, { spec: { containers: [{ resources: { limits: { cpu: 'x' } } }] }, extra: arrays }), tooDeep('Pod'));
});

// ---- cost ---------------------------------------------------------------------------------------

test('fast enough for every write', () => {
  const obj = deployment();
  decodeAgainstSchema(DEPLOYMENT, obj); // compile
  const n = 20000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) decodeAgainstSchema(DEPLOYMENT, obj);
  const perOp = (performance.now() - t0) / n;
  console.log(`schema_decode: ${(perOp * 1000).toFixed(1)} µs per deployment`);
  assert.ok(perOp < 0.5, `${perOp} ms per decode`);
});
