// Tests of the protobuf codec: round trips of the kinds the server stores, watch framing, malformed and
// mutated bodies, and bodies captured from (and answers decoded by) the real kubectl 1.32 binary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import { execFile } from 'node:child_process';
import { existsSync, statSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import {
  decodeObject, decodeWatchEvent, encodeObject, encodeWatchEvent, formatDuration, isProtobuf, messageForKind,
  parseDuration, ProtobufDecodeError, PROTOBUF_MAGIC, type JsonObject,
} from './codec.js';

const KUBECTL = '/usr/lib/google-cloud-sdk/bin/kubectl.1.32';

function roundTrip(obj: JsonObject): JsonObject {
  const body = encodeObject(obj);
  assert.deepEqual([...body.subarray(0, 4)], [0x6b, 0x38, 0x73, 0x00]);
  const { apiVersion, kind, object } = decodeObject(body);
  assert.equal(apiVersion, obj.apiVersion);
  assert.equal(kind, obj.kind);
  return object;
}

const pod: JsonObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'web-1', namespace: 'default', uid: 'b5a7', resourceVersion: '42', generation: 3,
    creationTimestamp: '2024-01-02T03:04:05Z', labels: { app: 'web', tier: 'front' },
    annotations: { note: 'x' }, finalizers: ['f/one'],
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'r1', controller: true, blockOwnerDeletion: true }],
    managedFields: [{ manager: 'kubectl', operation: 'Update', apiVersion: 'v1', time: '2024-01-02T03:04:05Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': {} } } }],
  },
  spec: {
    volumes: [
      { name: 'data', emptyDir: { sizeLimit: '1Gi' } },
      { name: 'cfg', configMap: { name: 'cfg', items: [{ key: 'a', path: 'a.txt' }], defaultMode: 420 } },
      { name: 'sec', secret: { secretName: 's', optional: true } },
    ],
    initContainers: [{ name: 'init', image: 'busybox', command: ['sh', '-c', 'true'] }],
    containers: [{
      name: 'web', image: 'nginx:1.27', args: ['-g', 'daemon off;'],
      ports: [{ name: 'http', containerPort: 80, protocol: 'TCP' }],
      env: [
        { name: 'A', value: 'b' },
        { name: 'POD_IP', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIP' } } },
        { name: 'KEY', valueFrom: { secretKeyRef: { name: 's', key: 'k', optional: false } } },
      ],
      envFrom: [{ configMapRef: { name: 'cfg' } }],
      resources: { requests: { cpu: '100m', memory: '64Mi', 'nvidia.com/gpu': '1' }, limits: { cpu: '2', memory: '1Gi' } },
      volumeMounts: [{ name: 'data', mountPath: '/data', readOnly: true }],
      livenessProbe: { httpGet: { path: '/healthz', port: 'http', scheme: 'HTTP' }, initialDelaySeconds: 5, periodSeconds: 10 },
      readinessProbe: { tcpSocket: { port: 8080 }, failureThreshold: 3 },
      imagePullPolicy: 'IfNotPresent',
      securityContext: { runAsUser: 0, runAsNonRoot: false, capabilities: { add: ['NET_ADMIN'] } },
    }],
    restartPolicy: 'Always', terminationGracePeriodSeconds: 30, nodeName: 'node-1',
    securityContext: { supplementalGroups: [1000, 2000], fsGroup: 2000 },
    tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoSchedule', tolerationSeconds: 300 }],
    affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }] }] } } },
    overhead: { cpu: '250m' },
  },
  status: {
    phase: 'Running', podIP: '10.42.0.5', podIPs: [{ ip: '10.42.0.5' }], startTime: '2024-01-02T03:04:06Z',
    conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2024-01-02T03:04:10Z' }],
    containerStatuses: [{
      name: 'web', ready: true, restartCount: 0, image: 'nginx:1.27', imageID: '', started: true,
      state: { running: { startedAt: '2024-01-02T03:04:07Z' } }, lastState: {},
    }],
  },
};

test('Pod round trip: quantities, env, volumes (inline VolumeSource), probes (inline handler, IntOrString), times, fieldsV1', () => {
  assert.deepEqual(roundTrip(pod), pod);
});

test('Service round trip: targetPort as number and as name', () => {
  const svc: JsonObject = {
    apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' },
    spec: {
      type: 'NodePort', selector: { app: 'web' }, clusterIP: '10.43.0.10', clusterIPs: ['10.43.0.10'],
      ports: [
        { name: 'http', protocol: 'TCP', port: 80, targetPort: 8080, nodePort: 30080 },
        { name: 'named', protocol: 'TCP', port: 81, targetPort: 'http' },
        { name: 'zero', protocol: 'UDP', port: 53, targetPort: 0 },
      ],
      sessionAffinity: 'None', ipFamilies: ['IPv4'],
    },
    status: { loadBalancer: {} },
  };
  assert.deepEqual(roundTrip(svc), svc);
});

test('Deployment round trip keeps an explicit replicas: 0 (a pointer field)', () => {
  const d: JsonObject = {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'default', labels: { app: 'd' } },
    spec: {
      replicas: 0, selector: { matchLabels: { app: 'd' } }, revisionHistoryLimit: 10, progressDeadlineSeconds: 600,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: 1 } },
      template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'nginx', image: 'nginx', resources: {} }] } },
    },
    status: { observedGeneration: 1, replicas: 3, readyReplicas: 3, conditions: [{ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', lastUpdateTime: '2024-05-06T07:08:09Z', lastTransitionTime: '2024-05-06T07:08:09Z' }] },
  };
  assert.deepEqual(roundTrip(d), d);
});

test('ConfigMap, Secret (bytes as base64), Namespace round trip', () => {
  const cm: JsonObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default' }, data: { a: 'b', empty: '' }, binaryData: { bin: Buffer.from([0, 1, 2, 255]).toString('base64') }, immutable: true };
  assert.deepEqual(roundTrip(cm), cm);
  const secret: JsonObject = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'default' }, type: 'Opaque', data: { k: Buffer.from('v\u0000\u00ff').toString('base64'), e: '' } };
  assert.deepEqual(roundTrip(secret), secret);
  const ns: JsonObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x', deletionTimestamp: '2030-12-31T23:59:59Z' }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Terminating' } };
  assert.deepEqual(roundTrip(ns), ns);
});

test('Status round trip (an error answer)', () => {
  const status: JsonObject = {
    apiVersion: 'v1', kind: 'Status', metadata: {}, status: 'Failure', message: 'pods "x" is invalid', reason: 'Invalid',
    details: { name: 'x', kind: 'pods', causes: [{ reason: 'FieldValueRequired', message: 'Required value', field: 'spec.containers' }] },
    code: 422,
  };
  assert.deepEqual(roundTrip(status), status);
  assert.equal(messageForKind('apps/v1', 'Status'), 'k8s.io.apimachinery.pkg.apis.meta.v1.Status');
});

test('PodList round trip with list metadata', () => {
  const list: JsonObject = {
    apiVersion: 'v1', kind: 'PodList', metadata: { resourceVersion: '77', continue: 'abc', remainingItemCount: 5 },
    items: [{ ...pod, apiVersion: undefined, kind: undefined }, { metadata: { name: 'p2', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'i', resources: {} }] }, status: {} }]
      .map((p) => Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined))),
  };
  assert.deepEqual(roundTrip(list), list);
});

test('other kinds: MicroTime (Lease, events.k8s.io Event), Duration-free int64, Verbs-free; HPA v2 quantities', () => {
  const lease: JsonObject = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'n1', namespace: 'kube-node-lease' }, spec: { holderIdentity: 'n1', leaseDurationSeconds: 40, renewTime: '2024-01-02T03:04:05.123456Z' } };
  assert.deepEqual(roundTrip(lease), lease);
  const ev: JsonObject = { apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: { name: 'e', namespace: 'default' }, eventTime: '2024-01-02T03:04:05.000001Z', reportingController: 'capstan', reportingInstance: 'i', action: 'Binding', reason: 'Scheduled', regarding: { kind: 'Pod', name: 'p' }, type: 'Normal' };
  assert.deepEqual(roundTrip(ev), ev);
  const hpa: JsonObject = { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'h' }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'd' }, minReplicas: 1, maxReplicas: 5, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'AverageValue', averageValue: '500m' } } }] }, status: { desiredReplicas: 2, currentReplicas: 1 } };
  assert.deepEqual(roundTrip(hpa), hpa);
  // Time given with an offset and fraction is normalised to UTC seconds, as metav1.Time's JSON is.
  const cm = roundTrip({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', creationTimestamp: '2024-01-02T05:04:05.5+02:00' } });
  assert.deepEqual(cm.metadata, { name: 'c', creationTimestamp: '2024-01-02T03:04:05Z' });
});

test('a __proto__ map key stays a plain key', () => {
  const cm = JSON.parse('{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"__proto__":"x","a":"b"}}') as JsonObject;
  const out = roundTrip(cm);
  const data = out.data as JsonObject;
  assert.deepEqual(Object.keys(data).sort(), ['__proto__', 'a']);
  assert.equal(Object.getPrototypeOf(data), Object.prototype);
});

test('Go durations', () => {
  for (const [s, ns] of [['0s', 0n], ['1h0m0s', 3600000000000n], ['1.5s', 1500000000n], ['150ms', 150000000n], ['2µs', 2000n], ['7ns', 7n], ['-1m30s', -90000000000n]] as const) {
    assert.equal(formatDuration(ns), s);
    assert.equal(parseDuration(s), ns);
  }
  assert.equal(parseDuration('90m'), 5400000000000n);
});

test('watch frame: length prefix, bare WatchEvent, object as a k8s\\0 envelope', () => {
  const cm: JsonObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default', resourceVersion: '9' }, data: { a: 'b' } };
  const frame = encodeWatchEvent('MODIFIED', cm);
  assert.equal(frame.readUInt32BE(0), frame.length - 4);
  // field 1 (type, string): tag 0x0a, no magic on the event itself (upstream's stream serializer is the raw one)
  assert.equal(frame[4], 0x0a);
  const typeLen = frame[5];
  assert.equal(frame.subarray(6, 6 + typeLen).toString(), 'MODIFIED');
  // field 2 (object: RawExtension), whose field 1 (raw) starts with the magic
  let i = 6 + typeLen;
  assert.equal(frame[i++], 0x12);
  while (frame[i++] & 0x80);
  assert.equal(frame[i++], 0x0a);
  while (frame[i++] & 0x80);
  assert.ok(frame.subarray(i, i + 4).equals(PROTOBUF_MAGIC));
  assert.deepEqual(decodeWatchEvent(frame), { type: 'MODIFIED', object: cm });
  const bookmark = decodeWatchEvent(encodeWatchEvent('BOOKMARK', { apiVersion: 'v1', kind: 'Pod', metadata: { resourceVersion: '12', annotations: { 'k8s.io/initial-events-end': 'true' } } }));
  assert.equal(bookmark.type, 'BOOKMARK');
});

test('repeated scalars are written unpacked, as Go proto2 does', () => {
  const body = encodeObject({ apiVersion: 'v1', kind: 'Pod', metadata: {}, spec: { securityContext: { supplementalGroups: [7, 8] } } });
  // PodSecurityContext.supplementalGroups = 4 (int64): two tag bytes 0x20, not one length-delimited 0x22
  const hex = body.toString('hex');
  assert.ok(hex.includes('2007') && hex.includes('2008'), hex);
});

test('isProtobuf', () => {
  assert.equal(isProtobuf('application/vnd.kubernetes.protobuf'), true);
  assert.equal(isProtobuf('application/vnd.kubernetes.protobuf;stream=watch'), true);
  assert.equal(isProtobuf(' Application/VND.Kubernetes.Protobuf ; charset=x'), true);
  assert.equal(isProtobuf('application/json'), false);
  assert.equal(isProtobuf(''), false);
});

test('bad input throws ProtobufDecodeError', () => {
  const good = encodeObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: 'b' } });
  assert.throws(() => decodeObject(Buffer.from('{"kind":"ConfigMap"}')), ProtobufDecodeError);
  assert.throws(() => decodeObject(Buffer.alloc(0)), ProtobufDecodeError);
  assert.throws(() => decodeObject(Buffer.concat([Buffer.from('k8s\u0001'), good.subarray(4)])), /k8s\\0 prefix/);
  for (const cut of [5, 10, good.length - 1]) {
    assert.throws(() => decodeObject(good.subarray(0, cut)), ProtobufDecodeError, `cut at ${cut}`);
  }
  const bogus = Buffer.from(encodeObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: {} }).toString('latin1').replace('ConfigMap', 'ConfigMat'), 'latin1');
  assert.throws(() => decodeObject(bogus), (e: unknown) => e instanceof ProtobufDecodeError && /ConfigMat/.test(e.message));
  const otherGroup = Buffer.from(good.toString('latin1').replace('\u0002v1', '\u0002v9'), 'latin1');
  assert.throws(() => decodeObject(otherGroup), ProtobufDecodeError);
  assert.throws(() => decodeObject(PROTOBUF_MAGIC), /no kind/);
});

test('2,000 random mutations of a valid body never throw anything but ProtobufDecodeError', () => {
  const base = encodeObject(pod);
  let seed = 12345;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  let decoded = 0;
  for (let round = 0; round < 2000; round++) {
    const buf = Buffer.from(base);
    let body: Buffer = buf;
    const op = rand(4);
    if (op === 0) {
      for (let k = 0; k <= rand(4); k++) buf[4 + rand(buf.length - 4)] = rand(256);
    } else if (op === 1) {
      body = buf.subarray(0, rand(buf.length));
    } else if (op === 2) {
      const at = 4 + rand(buf.length - 4);
      body = Buffer.concat([buf.subarray(0, at), Buffer.from([rand(256), rand(256)]), buf.subarray(at)]);
    } else {
      const at = 4 + rand(buf.length - 4);
      body = Buffer.concat([buf.subarray(0, at), buf.subarray(at + 1 + rand(8))]);
    }
    try {
      decodeObject(body);
      decoded++;
    } catch (e) {
      if (!(e instanceof ProtobufDecodeError)) assert.fail(`round ${round}: ${String(e)} (${body.toString('hex')})`);
    }
  }
  assert.ok(decoded > 0 && decoded < 2000);
});

test('schema.json is small and covers the served group versions', () => {
  const url = new URL('./schema.json', import.meta.url);
  assert.ok(statSync(url).size < 1024 * 1024);
  const schema = JSON.parse(readFileSync(url, 'utf8')) as { kinds: Record<string, Record<string, string>> };
  for (const gv of ['v1', 'apps/v1', 'batch/v1', 'coordination.k8s.io/v1', 'discovery.k8s.io/v1', 'events.k8s.io/v1',
    'scheduling.k8s.io/v1', 'policy/v1', 'autoscaling/v1', 'autoscaling/v2', 'storage.k8s.io/v1',
    'rbac.authorization.k8s.io/v1', 'networking.k8s.io/v1', 'meta.k8s.io/v1']) {
    assert.ok(schema.kinds[gv] && Object.keys(schema.kinds[gv]).length > 0, gv);
  }
  assert.equal(messageForKind('batch/v1', 'CronJob'), 'k8s.io.api.batch.v1.CronJob');
  assert.equal(messageForKind('v1', 'PodSpec'), undefined);
});

// --- real kubectl --------------------------------------------------------------------------------------------

interface Captured { method: string; url: string; contentType: string; body: Buffer }

const DISCOVERY: Record<string, unknown> = {
  '/api': { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] },
  '/apis': { kind: 'APIGroupList', apiVersion: 'v1', groups: [] },
  '/api/v1': { kind: 'APIResourceList', groupVersion: 'v1', resources: [{ name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['create', 'get', 'list'] }] },
};

/** Runs kubectl against a recording server that answers each POST with the object it got (as JSON or protobuf). */
async function kubectl(args: string[], answer: 'json' | 'protobuf' = 'json'): Promise<{ posts: Captured[]; stdout: string; stderr: string; code: number }> {
  const posts: Captured[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const path = (req.url ?? '').split('?')[0];
      if (req.method === 'POST') {
        const contentType = req.headers['content-type'] ?? '';
        posts.push({ method: req.method, url: req.url ?? '', contentType, body });
        const obj = isProtobuf(contentType) ? decodeObject(body).object : JSON.parse(body.toString()) as JsonObject;
        const created = { ...obj, metadata: { ...(obj.metadata as JsonObject), uid: 'u-1', resourceVersion: '1', creationTimestamp: '2024-01-02T03:04:05Z' } };
        if (answer === 'protobuf') {
          res.writeHead(201, { 'content-type': 'application/vnd.kubernetes.protobuf' }).end(encodeObject(created));
        } else {
          res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify(created));
        }
      } else if (req.method === 'GET' && DISCOVERY[path]) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(DISCOVERY[path]));
      } else {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 }));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  try {
    return await new Promise((resolve) => {
      execFile(KUBECTL, ['--server', `http://127.0.0.1:${port}`, '--kubeconfig', '/dev/null', ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
        resolve({ posts, stdout, stderr, code: err ? (typeof err.code === 'number' ? err.code : 1) : 0 });
      });
    });
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}

const skipKubectl = existsSync(KUBECTL) ? false : `${KUBECTL} is not installed`;
if (skipKubectl) console.log(`# skipping real-kubectl tests: ${skipKubectl}`);

async function created(args: string[]): Promise<Captured & { object: JsonObject }> {
  const r = await kubectl(args);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.posts.length, 1);
  const post = r.posts[0];
  assert.equal(post.contentType, 'application/vnd.kubernetes.protobuf');
  return { ...post, object: decodeObject(post.body).object };
}

test('real kubectl 1.32: create configmap / namespace / deployment send protobuf we decode', { skip: skipKubectl }, async () => {
  const cm = await created(['create', 'configmap', 'c', '--from-literal=a=b']);
  assert.match(cm.url, /^\/api\/v1\/namespaces\/default\/configmaps\?/);
  assert.deepEqual(cm.object, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: 'b' } });

  const ns = await created(['create', 'namespace', 'x']);
  assert.deepEqual(ns.object, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x' }, spec: {}, status: {} });

  const d = await created(['create', 'deployment', 'd', '--image=nginx', '--replicas=3']);
  assert.deepEqual(d.object, {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', labels: { app: 'd' } },
    spec: {
      replicas: 3, selector: { matchLabels: { app: 'd' } }, strategy: {},
      template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'nginx', image: 'nginx', resources: {} }] } },
    },
    status: {},
  });
  // What we decode re-encodes to something that decodes to the same object.
  assert.deepEqual(roundTrip(d.object), d.object);
});

test('real kubectl 1.32: secret, service, job, cronjob, serviceaccount, quota, pdb', { skip: skipKubectl }, async () => {
  const s = await created(['create', 'secret', 'generic', 's', '--from-literal=k=v']);
  assert.deepEqual(s.object, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { k: Buffer.from('v').toString('base64') } });
  const svc = await created(['create', 'service', 'nodeport', 'np', '--tcp=80:http', '--node-port=30080']);
  assert.deepEqual((svc.object.spec as JsonObject).ports, [{ name: '80-http', protocol: 'TCP', port: 80, targetPort: 'http', nodePort: 30080 }]);
  const svc2 = await created(['create', 'service', 'clusterip', 'svc', '--tcp=80:8080']);
  assert.deepEqual((svc2.object.spec as JsonObject).ports, [{ name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080 }]);
  const job = await created(['create', 'job', 'j', '--image=busybox', '--', 'echo', 'hi']);
  assert.deepEqual(job.object.spec, { template: { metadata: {}, spec: { containers: [{ name: 'j', image: 'busybox', command: ['echo', 'hi'], resources: {} }], restartPolicy: 'Never' } } });
  const cj = await created(['create', 'cronjob', 'cj', '--image=busybox', '--schedule=*/5 * * * *']);
  assert.equal((cj.object.spec as JsonObject).schedule, '*/5 * * * *');
  const sa = await created(['create', 'serviceaccount', 'sa']);
  assert.deepEqual(sa.object, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'sa' } });
  const q = await created(['create', 'quota', 'q', '--hard=cpu=1,memory=1Gi,pods=10']);
  assert.deepEqual(q.object.spec, { hard: { cpu: '1', memory: '1Gi', pods: '10' } });
  const pdb = await created(['create', 'poddisruptionbudget', 'pdb', '--selector=a=b', '--min-available=50%']);
  assert.deepEqual(pdb.object.spec, { minAvailable: '50%', selector: { matchLabels: { a: 'b' } } });
});

test('real kubectl 1.32: run posts the Pod (JSON in 1.32, after discovery)', { skip: skipKubectl }, async () => {
  const r = await kubectl(['run', 'p', '--image=nginx', '--port=80', '--env=A=B', '--labels=x=y']);
  assert.equal(r.code, 0, r.stderr);
  const post = r.posts[0];
  const obj = isProtobuf(post.contentType) ? decodeObject(post.body).object : JSON.parse(post.body.toString()) as JsonObject;
  assert.equal(obj.kind, 'Pod');
  const c = ((obj.spec as JsonObject).containers as JsonObject[])[0];
  assert.deepEqual(c.env, [{ name: 'A', value: 'B' }]);
  assert.deepEqual(c.ports, [{ containerPort: 80 }]);
});

test('real kubectl 1.32 decodes our protobuf response', { skip: skipKubectl }, async () => {
  const r = await kubectl(['create', 'deployment', 'd', '--image=nginx', '--replicas=2', '-o', 'json'], 'protobuf');
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as JsonObject;
  assert.equal(out.kind, 'Deployment');
  assert.deepEqual(out.metadata, { name: 'd', uid: 'u-1', resourceVersion: '1', creationTimestamp: '2024-01-02T03:04:05Z', labels: { app: 'd' } });
  assert.equal((out.spec as JsonObject).replicas, 2);
});
