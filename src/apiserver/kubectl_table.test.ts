// Proves that real kubectl (1.32) prints our server-side Tables exactly as it prints a real
// cluster's: a throwaway node:http server on loopback serves discovery, OpenAPI and fixed lists of
// pods, deployments and services (as Tables when asked, as plain lists otherwise), and the lines
// `kubectl get` and `kubectl get -o wide` print are compared character for character. Skipped when
// that kubectl binary is absent.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lookupResource } from '../api/resources.js';
import { apiGroup, apiResourceList, discoveryResponse, versionInfo } from './discovery.js';
import { openapiV2, openapiV3GroupVersion, openapiV3Root, type OpenAPIDocument } from './openapi.js';
import { negotiateObjectForm, parseIncludeObject, toPartialObjectMetadataList, toTable } from './table.js';

const KUBECTL = '/usr/lib/google-cloud-sdk/bin/kubectl.1.32';
const NOW = new Date('2025-03-01T12:00:00Z');

/** A timestamp `seconds` before NOW. */
function ago(seconds: number): string {
  return new Date(NOW.getTime() - seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const container = { name: 'app', image: 'nginx:1.27' };

const PODS: Record<string, unknown>[] = [
  {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: 'web-running', namespace: 'default', labels: { app: 'web', tier: 'front' }, creationTimestamp: ago(3 * 3600 + 4 * 60), resourceVersion: '11' },
    spec: { nodeName: 'node-1', containers: [container] },
    status: {
      phase: 'Running', podIP: '10.42.0.5', podIPs: [{ ip: '10.42.0.5' }],
      conditions: [{ type: 'Ready', status: 'True' }],
      containerStatuses: [{ name: 'app', image: 'nginx:1.27', imageID: '', ready: true, restartCount: 0, state: { running: { startedAt: ago(3 * 3600) } } }],
    },
  },
  {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: 'crashy', namespace: 'default', creationTimestamp: ago(2 * 86400 + 3 * 3600), resourceVersion: '12' },
    spec: { nodeName: 'node-2', containers: [container, { name: 'sidecar', image: 'busybox' }] },
    status: {
      phase: 'Running', podIP: '10.42.1.7', podIPs: [{ ip: '10.42.1.7' }],
      containerStatuses: [
        {
          name: 'app', image: 'nginx:1.27', imageID: '', ready: false, restartCount: 5,
          state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 2m40s' } },
          lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: ago(320), finishedAt: ago(300) } },
        },
        { name: 'sidecar', image: 'busybox', imageID: '', ready: true, restartCount: 0, state: { running: { startedAt: ago(3600) } } },
      ],
    },
  },
  {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: 'pending', namespace: 'default', creationTimestamp: ago(45), resourceVersion: '13' },
    spec: { containers: [container] },
    status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }] },
  },
  {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: 'creating', namespace: 'default', creationTimestamp: ago(182), resourceVersion: '14' },
    spec: { nodeName: 'node-1', containers: [container], readinessGates: [{ conditionType: 'example.com/lb' }] },
    status: {
      phase: 'Pending',
      containerStatuses: [{ name: 'app', image: 'nginx:1.27', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }],
    },
  },
  {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: 'going-away', namespace: 'default', creationTimestamp: ago(10 * 60), deletionTimestamp: ago(-30), resourceVersion: '15' },
    spec: { nodeName: 'node-1', containers: [container] },
    status: {
      phase: 'Running', podIP: '10.42.0.9', podIPs: [{ ip: '10.42.0.9' }], nominatedNodeName: 'node-3',
      containerStatuses: [{ name: 'app', image: 'nginx:1.27', imageID: '', ready: true, restartCount: 0, state: { running: { startedAt: ago(500) } } }],
    },
  },
  {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: 'batch-done', namespace: 'default', creationTimestamp: ago(400 * 86400), resourceVersion: '16' },
    spec: { nodeName: 'node-2', containers: [container], initContainers: [{ name: 'init', image: 'busybox' }] },
    status: {
      phase: 'Succeeded', podIP: '10.42.1.3', podIPs: [{ ip: '10.42.1.3' }],
      conditions: [{ type: 'Initialized', status: 'True' }],
      initContainerStatuses: [{ name: 'init', image: 'busybox', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
      containerStatuses: [{ name: 'app', image: 'nginx:1.27', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
    },
  },
  {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: 'initializing', namespace: 'default', creationTimestamp: ago(20), resourceVersion: '17' },
    spec: { nodeName: 'node-2', containers: [container], initContainers: [{ name: 'init', image: 'busybox' }] },
    status: {
      phase: 'Pending',
      initContainerStatuses: [{ name: 'init', image: 'busybox', imageID: '', ready: false, restartCount: 0, state: { running: { startedAt: ago(5) } } }],
      containerStatuses: [{ name: 'app', image: 'nginx:1.27', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }],
    },
  },
];

const DEPLOYMENTS: Record<string, unknown>[] = [
  {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', creationTimestamp: ago(5 * 86400), resourceVersion: '21' },
    spec: {
      replicas: 3, selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [container, { name: 'log', image: 'fluent-bit:3' }] } },
    },
    status: { replicas: 3, readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
  },
  {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name: 'api', namespace: 'default', creationTimestamp: ago(90), resourceVersion: '22' },
    spec: {
      replicas: 1, selector: { matchLabels: { app: 'api' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['gold', 'backend'] }] },
      template: { metadata: { labels: { app: 'api', tier: 'backend' } }, spec: { containers: [{ name: 'api', image: 'ghcr.io/x/api:v2' }] } },
    },
    status: {},
  },
];

const SERVICES: Record<string, unknown>[] = [
  {
    apiVersion: 'v1', kind: 'Service',
    metadata: { name: 'kubernetes', namespace: 'default', creationTimestamp: ago(30 * 86400), resourceVersion: '31' },
    spec: { type: 'ClusterIP', clusterIP: '10.43.0.1', clusterIPs: ['10.43.0.1'], ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }] },
  },
  {
    apiVersion: 'v1', kind: 'Service',
    metadata: { name: 'web', namespace: 'default', creationTimestamp: ago(3 * 60 + 2), resourceVersion: '32' },
    spec: {
      type: 'NodePort', clusterIP: '10.43.12.7', clusterIPs: ['10.43.12.7'], selector: { app: 'web', tier: 'front' },
      ports: [{ port: 80, nodePort: 30080, protocol: 'TCP', targetPort: 8080 }, { port: 53, nodePort: 30053, protocol: 'UDP', targetPort: 53 }],
    },
  },
  {
    apiVersion: 'v1', kind: 'Service',
    metadata: { name: 'lb', namespace: 'default', creationTimestamp: ago(7200), resourceVersion: '33' },
    spec: { type: 'LoadBalancer', clusterIP: '10.43.99.1', clusterIPs: ['10.43.99.1'], selector: { app: 'lb' }, ports: [{ port: 443, nodePort: 31443, protocol: 'TCP', targetPort: 443 }] },
    status: { loadBalancer: {} },
  },
  {
    apiVersion: 'v1', kind: 'Service',
    metadata: { name: 'ext', namespace: 'default', creationTimestamp: ago(2 * 365 * 86400 + 30 * 86400), resourceVersion: '34' },
    spec: { type: 'ExternalName', externalName: 'db.example.com' },
  },
];

const NODES: Record<string, unknown>[] = [
  {
    apiVersion: 'v1', kind: 'Node',
    metadata: { name: 'node-1', labels: { 'node-role.kubernetes.io/control-plane': '', 'node-role.kubernetes.io/master': '' }, creationTimestamp: ago(9 * 86400) },
    spec: { podCIDR: '10.42.0.0/24' },
    status: {
      conditions: [{ type: 'MemoryPressure', status: 'False' }, { type: 'Ready', status: 'True' }],
      addresses: [{ type: 'InternalIP', address: '192.168.1.10' }, { type: 'Hostname', address: 'node-1' }],
      nodeInfo: {
        kubeletVersion: 'v1.32.0+capstan', osImage: 'Debian GNU/Linux 12 (bookworm)', kernelVersion: '6.1.0-18-amd64', containerRuntimeVersion: 'containerd://1.7.24',
        machineID: '', systemUUID: '', bootID: '', kubeProxyVersion: '', operatingSystem: 'linux', architecture: 'amd64',
      },
    },
  },
  {
    apiVersion: 'v1', kind: 'Node',
    metadata: { name: 'node-2', creationTimestamp: ago(9 * 86400) },
    spec: { unschedulable: true },
    status: {
      conditions: [{ type: 'Ready', status: 'Unknown' }],
      addresses: [{ type: 'InternalIP', address: '192.168.1.11' }, { type: 'ExternalIP', address: '203.0.113.7' }],
      nodeInfo: {
        kubeletVersion: 'v1.32.0+capstan', osImage: '', kernelVersion: '', containerRuntimeVersion: '',
        machineID: '', systemUUID: '', bootID: '', kubeProxyVersion: '', operatingSystem: 'linux', architecture: 'amd64',
      },
    },
  },
];

const JOBS: Record<string, unknown>[] = [
  {
    apiVersion: 'batch/v1', kind: 'Job',
    metadata: { name: 'migrate', namespace: 'default', creationTimestamp: ago(3600) },
    spec: { completions: 1, parallelism: 1, template: { spec: { containers: [container] } } },
    status: { succeeded: 1, startTime: ago(3600), completionTime: ago(3600 - 42), conditions: [{ type: 'SuccessCriteriaMet', status: 'True' }, { type: 'Complete', status: 'True' }] },
  },
  {
    apiVersion: 'batch/v1', kind: 'Job',
    metadata: { name: 'queue', namespace: 'default', creationTimestamp: ago(300) },
    spec: { parallelism: 3, template: { spec: { containers: [container] } } },
    status: { active: 3, startTime: ago(290) },
  },
];

const ROLES: Record<string, unknown>[] = [
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'reader', namespace: 'default', creationTimestamp: '2025-02-14T08:30:00Z' }, rules: [] },
];

const EVENTS: Record<string, unknown>[] = [
  {
    apiVersion: 'v1', kind: 'Event',
    metadata: { name: 'crashy.1', namespace: 'default', creationTimestamp: ago(600) },
    involvedObject: { kind: 'Pod', name: 'crashy', namespace: 'default', fieldPath: 'spec.containers{app}' },
    type: 'Warning', reason: 'BackOff', message: 'Back-off restarting failed container app\n', count: 7,
    firstTimestamp: ago(600), lastTimestamp: ago(65), source: { component: 'kubelet', host: 'node-2' },
  },
];

/** The collections served, by the path kubectl lists them at. */
const COLLECTIONS: ReadonlyArray<{ path: string; group: string; version: string; plural: string; kind: string; items: Record<string, unknown>[] }> = [
  { path: '/api/v1/namespaces/default/pods', group: '', version: 'v1', plural: 'pods', kind: 'PodList', items: PODS },
  { path: '/api/v1/namespaces/default/services', group: '', version: 'v1', plural: 'services', kind: 'ServiceList', items: SERVICES },
  { path: '/api/v1/namespaces/default/events', group: '', version: 'v1', plural: 'events', kind: 'EventList', items: EVENTS },
  { path: '/api/v1/nodes', group: '', version: 'v1', plural: 'nodes', kind: 'NodeList', items: NODES },
  { path: '/apis/apps/v1/namespaces/default/deployments', group: 'apps', version: 'v1', plural: 'deployments', kind: 'DeploymentList', items: DEPLOYMENTS },
  { path: '/apis/batch/v1/namespaces/default/jobs', group: 'batch', version: 'v1', plural: 'jobs', kind: 'JobList', items: JOBS },
  { path: '/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles', group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'roles', kind: 'RoleList', items: ROLES },
];

function send(res: ServerResponse, status: number, contentType: string, body: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body), ...extra });
  res.end(body);
}

function sendDoc(res: ServerResponse, doc: OpenAPIDocument): void {
  send(res, 200, 'application/json', doc.body, { ETag: doc.etag });
}

function status(res: ServerResponse, code: number, reason: string, message: string): void {
  send(res, code, 'application/json', JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code }));
}

/** Lists (as a Table when asked) for the fixed collections; discovery and OpenAPI for the rest. */
function handle(req: IncomingMessage, res: ServerResponse, requests: string[]): void {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const path = url.pathname.replace(/\/+$/, '') || '/';
  requests.push(`${req.method} ${url.pathname}${url.search} [${req.headers.accept ?? ''}]`);
  if (req.method !== 'GET') return status(res, 405, 'MethodNotAllowed', `${req.method} is not supported`);
  if (path === '/version') return send(res, 200, 'application/json', JSON.stringify(versionInfo()));
  if (path === '/api' || path === '/apis') {
    const r = discoveryResponse(path, req.headers.accept, { serverAddress: req.headers.host });
    return send(res, r.status, r.contentType, r.body, { ETag: r.etag, Vary: 'Accept' });
  }
  if (path === '/openapi/v2') return sendDoc(res, openapiV2());
  if (path === '/openapi/v3') return sendDoc(res, openapiV3Root());
  if (path.startsWith('/openapi/v3/')) {
    const doc = openapiV3GroupVersion(path.slice('/openapi/v3/'.length));
    return doc ? sendDoc(res, doc) : status(res, 404, 'NotFound', `${path} not found`);
  }
  for (const c of COLLECTIONS) {
    if (path !== c.path) continue;
    const resource = lookupResource(c.group, c.version, c.plural);
    assert.ok(resource, `${c.plural} is a known resource`);
    const listMeta = { resourceVersion: '100' };
    const form = negotiateObjectForm(req.headers.accept);
    if (form.as === 'NotAcceptable') return status(res, 406, 'NotAcceptable', 'no acceptable media type');
    if (form.as === 'Table') {
      const includeObject = parseIncludeObject(url.searchParams.get('includeObject'));
      if (!includeObject) return status(res, 400, 'BadRequest', 'invalid includeObject');
      const table = toTable(resource, c.items, { includeObject, listMeta, now: NOW, version: form.version });
      return send(res, 200, form.contentType, JSON.stringify(table));
    }
    if (form.as === 'PartialObjectMetadataList') {
      return send(res, 200, form.contentType, JSON.stringify(toPartialObjectMetadataList(c.items, { listMeta, version: form.version })));
    }
    if (form.as === 'PartialObjectMetadata') return status(res, 406, 'NotAcceptable', 'a list cannot be PartialObjectMetadata');
    const apiVersion = c.group === '' ? c.version : `${c.group}/${c.version}`;
    return send(res, 200, 'application/json', JSON.stringify({ apiVersion, kind: c.kind, metadata: listMeta, items: c.items }));
  }
  const parts = path.split('/').filter(Boolean);
  if (parts[0] === 'api' && parts.length === 2) {
    const list = apiResourceList('', parts[1]!);
    return list ? send(res, 200, 'application/json', JSON.stringify(list)) : status(res, 404, 'NotFound', path);
  }
  if (parts[0] === 'apis' && parts.length === 2) {
    const g = apiGroup(parts[1]!);
    return g ? send(res, 200, 'application/json', JSON.stringify(g)) : status(res, 404, 'NotFound', path);
  }
  if (parts[0] === 'apis' && parts.length === 3) {
    const list = apiResourceList(parts[1]!, parts[2]!);
    return list ? send(res, 200, 'application/json', JSON.stringify(list)) : status(res, 404, 'NotFound', path);
  }
  return status(res, 404, 'NotFound', `the server could not find the requested resource (${path})`);
}

function run(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(KUBECTL, args, { env, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`kubectl ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

interface Kubectl {
  get(...args: string[]): Promise<string[]>;
  requests: string[];
}

/** Starts the loopback server and returns a `kubectl get` runner, or undefined when kubectl is absent. */
async function setup(t: TestContext): Promise<Kubectl | undefined> {
  if (!existsSync(KUBECTL)) {
    t.skip(`${KUBECTL} not installed`);
    console.log(`skipping: ${KUBECTL} not installed`);
    return undefined;
  }
  const requests: string[] = [];
  const server = createServer((req, res) => handle(req, res, requests));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // A fresh HOME and cache dir so kubectl neither reads a user's kubeconfig nor reuses a cache.
  const home = mkdtempSync(join(tmpdir(), 'capstan-kubectl-table-'));
  t.after(() => {
    server.close();
    rmSync(home, { recursive: true, force: true });
  });
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object', 'listening on a TCP port');
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, KUBECONFIG: join(home, 'none') };
  const base = ['--server', `http://127.0.0.1:${address.port}`, '--cache-dir', join(home, 'cache'), '-n', 'default'];
  return {
    requests,
    get: async (...args) => (await run([...base, 'get', ...args], env)).replace(/\n$/, '').split('\n'),
  };
}

test('kubectl get pods prints our Table as against Kubernetes 1.32', async (t) => {
  const k = await setup(t);
  if (!k) return;
  assert.deepEqual(await k.get('pods'), [
    'NAME           READY   STATUS              RESTARTS     AGE',
    'web-running    1/1     Running             0            3h4m',
    'crashy         1/2     CrashLoopBackOff    5 (5m ago)   2d3h',
    'pending        0/1     Pending             0            45s',
    'creating       0/1     ContainerCreating   0            3m2s',
    'going-away     1/1     Terminating         0            10m',
    'batch-done     0/1     Completed           0            400d',
    'initializing   0/1     Init:0/1            0            20s',
  ]);
  // kubectl really asked for a Table (v1 first) and did not fetch the plain list.
  const list = k.requests.filter((r) => r.startsWith('GET /api/v1/namespaces/default/pods'));
  assert.equal(list.length, 1, list.join('\n'));
  assert.match(list[0]!, /\[application\/json;as=Table;v=v1;g=meta\.k8s\.io,application\/json;as=Table;v=v1beta1;g=meta\.k8s\.io,application\/json\]$/);

  assert.deepEqual(await k.get('pods', '-o', 'wide'), [
    'NAME           READY   STATUS              RESTARTS     AGE    IP          NODE     NOMINATED NODE   READINESS GATES',
    'web-running    1/1     Running             0            3h4m   10.42.0.5   node-1   <none>           <none>',
    'crashy         1/2     CrashLoopBackOff    5 (5m ago)   2d3h   10.42.1.7   node-2   <none>           <none>',
    'pending        0/1     Pending             0            45s    <none>      <none>   <none>           <none>',
    'creating       0/1     ContainerCreating   0            3m2s   <none>      node-1   <none>           0/1',
    'going-away     1/1     Terminating         0            10m    10.42.0.9   node-1   node-3           <none>',
    'batch-done     0/1     Completed           0            400d   10.42.1.3   node-2   <none>           <none>',
    'initializing   0/1     Init:0/1            0            20s    <none>      node-2   <none>           <none>',
  ]);

  // The NAME column's `format: name` is what lets kubectl prefix the kind and print names only.
  assert.deepEqual((await k.get('pods', '--show-kind')).slice(0, 2), [
    'NAME               READY   STATUS              RESTARTS     AGE',
    'pod/web-running    1/1     Running             0            3h4m',
  ]);
  assert.deepEqual((await k.get('pods', '--no-headers')).slice(0, 1), ['web-running    1/1   Running             0            3h4m']);
  // --show-labels reads labels from each row's embedded PartialObjectMetadata.
  assert.deepEqual((await k.get('pods', '--show-labels')).slice(0, 2), [
    'NAME           READY   STATUS              RESTARTS     AGE    LABELS',
    'web-running    1/1     Running             0            3h4m   app=web,tier=front',
  ]);
});

test('kubectl get deployments prints our Table as against Kubernetes 1.32', async (t) => {
  const k = await setup(t);
  if (!k) return;
  assert.deepEqual(await k.get('deployments'), [
    'NAME   READY   UP-TO-DATE   AVAILABLE   AGE',
    'web    2/3     3            2           5d',
    'api    0/1     0            0           90s',
  ]);
  assert.deepEqual(await k.get('deploy', '-o', 'wide'), [
    'NAME   READY   UP-TO-DATE   AVAILABLE   AGE   CONTAINERS   IMAGES                    SELECTOR',
    'web    2/3     3            2           5d    app,log      nginx:1.27,fluent-bit:3   app=web',
    'api    0/1     0            0           90s   api          ghcr.io/x/api:v2          app=api,tier in (backend,gold)',
  ]);
});

test('kubectl get services prints our Table as against Kubernetes 1.32', async (t) => {
  const k = await setup(t);
  if (!k) return;
  assert.deepEqual(await k.get('services'), [
    'NAME         TYPE           CLUSTER-IP   EXTERNAL-IP      PORT(S)                     AGE',
    'kubernetes   ClusterIP      10.43.0.1    <none>           443/TCP                     30d',
    'web          NodePort       10.43.12.7   <none>           80:30080/TCP,53:30053/UDP   3m2s',
    'lb           LoadBalancer   10.43.99.1   <pending>        443:31443/TCP               120m',
    'ext          ExternalName   <none>       db.example.com   <none>                      2y30d',
  ]);
  assert.deepEqual(await k.get('svc', '-o', 'wide'), [
    'NAME         TYPE           CLUSTER-IP   EXTERNAL-IP      PORT(S)                     AGE     SELECTOR',
    'kubernetes   ClusterIP      10.43.0.1    <none>           443/TCP                     30d     <none>',
    'web          NodePort       10.43.12.7   <none>           80:30080/TCP,53:30053/UDP   3m2s    app=web,tier=front',
    'lb           LoadBalancer   10.43.99.1   <pending>        443:31443/TCP               120m    app=lb',
    'ext          ExternalName   <none>       db.example.com   <none>                      2y30d   <none>',
  ]);
});

test('kubectl get nodes, jobs, events and a kind without a printer (roles)', async (t) => {
  const k = await setup(t);
  if (!k) return;
  assert.deepEqual(await k.get('nodes'), [
    'NAME     STATUS                        ROLES                  AGE   VERSION',
    'node-1   Ready                         control-plane,master   9d    v1.32.0+capstan',
    'node-2   NotReady,SchedulingDisabled   <none>                 9d    v1.32.0+capstan',
  ]);
  assert.deepEqual(await k.get('nodes', '-o', 'wide'), [
    'NAME     STATUS                        ROLES                  AGE   VERSION           INTERNAL-IP    EXTERNAL-IP   OS-IMAGE                         KERNEL-VERSION   CONTAINER-RUNTIME',
    'node-1   Ready                         control-plane,master   9d    v1.32.0+capstan   192.168.1.10   <none>        Debian GNU/Linux 12 (bookworm)   6.1.0-18-amd64   containerd://1.7.24',
    'node-2   NotReady,SchedulingDisabled   <none>                 9d    v1.32.0+capstan   192.168.1.11   203.0.113.7   <unknown>                        <unknown>        <unknown>',
  ]);
  assert.deepEqual(await k.get('jobs'), [
    'NAME      STATUS     COMPLETIONS   DURATION   AGE',
    'migrate   Complete   1/1           42s        60m',
    'queue     Running    0/1 of 3      4m50s      5m',
  ]);
  assert.deepEqual(await k.get('events'), [
    'LAST SEEN   TYPE      REASON    OBJECT       MESSAGE',
    '65s         Warning   BackOff   pod/crashy   Back-off restarting failed container app',
  ]);
  assert.deepEqual(await k.get('roles'), [
    'NAME     CREATED AT',
    'reader   2025-02-14T08:30:00Z',
  ]);
});
