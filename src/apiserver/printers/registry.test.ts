// Every registered printer against Kubernetes 1.32's columns (names and wide priority) and a
// representative row; the strings are what `kubectl get` shows against a real cluster.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lookupResource, RESOURCES } from '../../api/resources.js';
import { columnDefinitions } from './printer.js';
import { printedKinds, printerFor } from './registry.js';

const NOW = new Date('2025-01-01T12:00:00Z');
const T = (seconds: number): string => new Date(NOW.getTime() - seconds * 1000).toISOString();
const meta = (name: string, extra: Record<string, unknown> = {}) => ({ name, namespace: 'default', creationTimestamp: T(3600), ...extra });

interface Case {
  resource: [group: string, version: string, plural: string];
  /** Column names; a trailing `*` marks a wide-only (priority 1) column. */
  columns: string;
  object: Record<string, unknown>;
  cells: unknown[];
}

const tmpl = { spec: { containers: [{ name: 'a', image: 'img:1' }, { name: 'b', image: 'img:2' }] } };

const CASES: Case[] = [
  {
    resource: ['', 'v1', 'namespaces'],
    columns: 'Name,Status,Age',
    object: { metadata: meta('kube-system'), status: { phase: 'Active' } },
    cells: ['kube-system', 'Active', '60m'],
  },
  {
    resource: ['', 'v1', 'nodes'],
    columns: 'Name,Status,Roles,Age,Version,Internal-IP*,External-IP*,OS-Image*,Kernel-Version*,Container-Runtime*',
    object: { metadata: meta('n', { labels: { 'kubernetes.io/role': 'worker', 'node-role.kubernetes.io/': '' } }), spec: { unschedulable: true }, status: { nodeInfo: { kubeletVersion: 'v1.32.0' } } },
    cells: ['n', 'Unknown,SchedulingDisabled', 'worker', '60m', 'v1.32.0', '<none>', '<none>', '<unknown>', '<unknown>', '<unknown>'],
  },
  {
    resource: ['', 'v1', 'services'],
    columns: 'Name,Type,Cluster-IP,External-IP,Port(s),Age,Selector*',
    object: {
      metadata: meta('lb'),
      spec: { type: 'LoadBalancer', clusterIP: '10.43.0.9', externalIPs: ['1.2.3.4'], ports: [{ port: 80, nodePort: 30080 }] },
      status: { loadBalancer: { ingress: [{ ip: '5.6.7.8' }, { hostname: 'lb.example.com' }, { ip: '5.6.7.8' }] } },
    },
    cells: ['lb', 'LoadBalancer', '10.43.0.9', '5.6.7.8,lb.example.com,1.2.3.4', '80:30080/TCP', '60m', '<none>'],
  },
  {
    resource: ['', 'v1', 'endpoints'],
    columns: 'Name,Endpoints,Age',
    object: {
      metadata: meta('web'),
      subsets: [{ addresses: [{ ip: '10.0.0.1' }, { ip: 'fd00::2' }], ports: [{ port: 80 }, { port: 443 }] }],
    },
    cells: ['web', '10.0.0.1:80,[fd00::2]:80,10.0.0.1:443 + 1 more...', '60m'],
  },
  {
    resource: ['discovery.k8s.io', 'v1', 'endpointslices'],
    columns: 'Name,AddressType,Ports,Endpoints,Age',
    object: { metadata: meta('web-abc'), addressType: 'IPv4', ports: [{ port: 80 }, { name: 'dns' }, {}], endpoints: [{ addresses: ['10.0.0.1'] }] },
    cells: ['web-abc', 'IPv4', '80,dns,*', '10.0.0.1', '60m'],
  },
  {
    resource: ['events.k8s.io', 'v1', 'events'],
    columns: 'Last Seen,Type,Reason,Object,Subobject*,Source*,Message,First Seen*,Count*,Name*',
    object: {
      metadata: meta('e1'), eventTime: T(600), type: 'Normal', reason: 'Scheduled', note: 'Successfully assigned default/p to n1',
      regarding: { kind: 'Pod', name: 'p' }, reportingController: 'default-scheduler', reportingInstance: 'capstan-1',
    },
    cells: ['10m', 'Normal', 'Scheduled', 'pod/p', '', 'default-scheduler, capstan-1', 'Successfully assigned default/p to n1', '10m', 1, 'e1'],
  },
  {
    resource: ['', 'v1', 'events'],
    columns: 'Last Seen,Type,Reason,Object,Subobject*,Source*,Message,First Seen*,Count*,Name*',
    object: {
      metadata: meta('e2'), type: 'Warning', reason: 'BackOff', message: 'x', involvedObject: { kind: 'Node' },
      firstTimestamp: T(600), lastTimestamp: T(60), count: 4, series: { count: 9, lastObservedTime: T(5) }, source: { component: 'kubelet' },
    },
    cells: ['5s', 'Warning', 'BackOff', 'node', '', 'kubelet', 'x', '10m', 9, 'e2'],
  },
  {
    resource: ['', 'v1', 'configmaps'],
    columns: 'Name,Data,Age',
    object: { metadata: meta('cm'), data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } },
    cells: ['cm', 3, '60m'],
  },
  {
    resource: ['', 'v1', 'secrets'],
    columns: 'Name,Type,Data,Age',
    object: { metadata: meta('s'), type: 'kubernetes.io/tls', data: { 'tls.crt': '', 'tls.key': '' } },
    cells: ['s', 'kubernetes.io/tls', 2, '60m'],
  },
  {
    resource: ['', 'v1', 'serviceaccounts'],
    columns: 'Name,Secrets,Age',
    object: { metadata: meta('default') },
    cells: ['default', 0, '60m'],
  },
  {
    resource: ['', 'v1', 'persistentvolumes'],
    columns: 'Name,Capacity,Access Modes,Reclaim Policy,Status,Claim,StorageClass,VolumeAttributesClass,Reason,Age,VolumeMode*',
    object: {
      metadata: meta('pv1'),
      spec: { capacity: { storage: '10Gi' }, accessModes: ['ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Retain', claimRef: { namespace: 'default', name: 'data' }, storageClassName: 'local', volumeMode: 'Filesystem' },
      status: { phase: 'Bound' },
    },
    cells: ['pv1', '10Gi', 'RWO,RWX', 'Retain', 'Bound', 'default/data', 'local', '<unset>', '', '60m', 'Filesystem'],
  },
  {
    resource: ['', 'v1', 'persistentvolumeclaims'],
    columns: 'Name,Status,Volume,Capacity,Access Modes,StorageClass,VolumeAttributesClass,Age,VolumeMode*',
    object: {
      metadata: meta('data'),
      spec: { volumeName: 'pv1', storageClassName: 'local', resources: { requests: { storage: '5Gi' } } },
      status: { phase: 'Bound', capacity: { storage: '10Gi' }, accessModes: ['ReadWriteOncePod'] },
    },
    cells: ['data', 'Bound', 'pv1', '10Gi', 'RWOP', 'local', '<unset>', '60m', '<unset>'],
  },
  {
    resource: ['', 'v1', 'resourcequotas'],
    columns: 'Name,Request,Limit,Age',
    object: {
      metadata: meta('q'),
      status: { hard: { pods: '10', 'requests.cpu': '2', 'limits.memory': '4Gi', 'limits.cpu': '4' }, used: { pods: '3', 'requests.cpu': '500m', 'limits.cpu': '1000m' } },
    },
    cells: ['q', 'pods: 3/10, requests.cpu: 500m/2', 'limits.cpu: 1/4, limits.memory: 0/4Gi', '60m'],
  },
  {
    resource: ['', 'v1', 'replicationcontrollers'],
    columns: 'Name,Desired,Current,Ready,Age,Containers*,Images*,Selector*',
    object: { metadata: meta('rc'), spec: { replicas: 2, selector: { app: 'x' }, template: tmpl }, status: { replicas: 2 } },
    cells: ['rc', 2, 2, 0, '60m', 'a,b', 'img:1,img:2', 'app=x'],
  },
  {
    resource: ['', 'v1', 'podtemplates'],
    columns: 'Name,Containers,Images,Pod Labels',
    object: { metadata: meta('pt'), template: { metadata: { labels: { app: 'x' } }, ...tmpl } },
    cells: ['pt', 'a,b', 'img:1,img:2', 'app=x'],
  },
  {
    resource: ['apps', 'v1', 'replicasets'],
    columns: 'Name,Desired,Current,Ready,Age,Containers*,Images*,Selector*',
    object: { metadata: meta('rs'), spec: { replicas: 3, selector: { matchLabels: { app: 'x' } }, template: tmpl }, status: { replicas: 3, readyReplicas: 1 } },
    cells: ['rs', 3, 3, 1, '60m', 'a,b', 'img:1,img:2', 'app=x'],
  },
  {
    resource: ['apps', 'v1', 'statefulsets'],
    columns: 'Name,Ready,Age,Containers*,Images*',
    object: { metadata: meta('db'), spec: { replicas: 3, template: tmpl }, status: { readyReplicas: 2 } },
    cells: ['db', '2/3', '60m', 'a,b', 'img:1,img:2'],
  },
  {
    resource: ['apps', 'v1', 'daemonsets'],
    columns: 'Name,Desired,Current,Ready,Up-to-date,Available,Node Selector,Age,Containers*,Images*,Selector*',
    object: {
      metadata: meta('ds'),
      spec: { selector: { matchLabels: { app: 'ds' } }, template: { spec: { nodeSelector: { 'kubernetes.io/os': 'linux' }, containers: [{ name: 'a', image: 'i' }] } } },
      status: { desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 2, updatedNumberScheduled: 3, numberAvailable: 2 },
    },
    cells: ['ds', 3, 3, 2, 3, 2, 'kubernetes.io/os=linux', '60m', 'a', 'i', 'app=ds'],
  },
  {
    resource: ['apps', 'v1', 'controllerrevisions'],
    columns: 'Name,Controller,Revision,Age',
    object: { metadata: meta('web-7d9f', { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'u', controller: true }] }), revision: 2 },
    cells: ['web-7d9f', 'statefulset.apps/web', 2, '60m'],
  },
  {
    resource: ['batch', 'v1', 'jobs'],
    columns: 'Name,Status,Completions,Duration,Age,Containers*,Images*,Selector*',
    object: {
      metadata: meta('j'),
      spec: { completions: 5, suspend: true, selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u' } }, template: tmpl },
      status: { succeeded: 2, conditions: [{ type: 'Suspended', status: 'True' }] },
    },
    cells: ['j', 'Suspended', '2/5', '', '60m', 'a,b', 'img:1,img:2', 'batch.kubernetes.io/controller-uid=u'],
  },
  {
    resource: ['batch', 'v1', 'cronjobs'],
    columns: 'Name,Schedule,Timezone,Suspend,Active,Last Schedule,Age,Containers*,Images*,Selector*',
    object: { metadata: meta('cj'), spec: { schedule: '*/5 * * * *', suspend: false, jobTemplate: { spec: { template: tmpl } } }, status: { active: [{ name: 'cj-1' }], lastScheduleTime: T(125) } },
    cells: ['cj', '*/5 * * * *', '<none>', 'False', 1, '2m5s', '60m', 'a,b', 'img:1,img:2', '<none>'],
  },
  {
    resource: ['coordination.k8s.io', 'v1', 'leases'],
    columns: 'Name,Holder,Age',
    object: { metadata: meta('kube-scheduler'), spec: { holderIdentity: 'capstan-1_abc' } },
    cells: ['kube-scheduler', 'capstan-1_abc', '60m'],
  },
  {
    resource: ['scheduling.k8s.io', 'v1', 'priorityclasses'],
    columns: 'Name,Value,Global-Default,Age,PreemptionPolicy',
    object: { metadata: meta('system-node-critical'), value: 2000001000, preemptionPolicy: 'PreemptLowerPriority' },
    cells: ['system-node-critical', 2000001000, false, '60m', 'PreemptLowerPriority'],
  },
  {
    resource: ['policy', 'v1', 'poddisruptionbudgets'],
    columns: 'Name,Min Available,Max Unavailable,Allowed Disruptions,Age',
    object: { metadata: meta('pdb'), spec: { maxUnavailable: '25%' }, status: { disruptionsAllowed: 1 } },
    cells: ['pdb', 'N/A', '25%', 1, '60m'],
  },
  {
    resource: ['autoscaling', 'v2', 'horizontalpodautoscalers'],
    columns: 'Name,Reference,Targets,MinPods,MaxPods,Replicas,Age',
    object: {
      metadata: meta('web'),
      spec: {
        scaleTargetRef: { kind: 'Deployment', name: 'web' }, maxReplicas: 10,
        metrics: [
          { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } },
          { type: 'Pods', pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '1k' } } },
          { type: 'External', external: { metric: { name: 'queue' }, target: { type: 'Value', value: '30' } } },
        ],
      },
      status: { currentReplicas: 2, currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 45 } } }] },
    },
    cells: ['web', 'Deployment/web', 'cpu: 45%/80%, <unknown>/1k + 1 more...', '<unset>', 10, 2, '60m'],
  },
  {
    resource: ['autoscaling', 'v1', 'horizontalpodautoscalers'],
    columns: 'Name,Reference,Targets,MinPods,MaxPods,Replicas,Age',
    object: { metadata: meta('web'), spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, minReplicas: 1, maxReplicas: 5, targetCPUUtilizationPercentage: 50 }, status: { currentReplicas: 1 } },
    cells: ['web', 'Deployment/web', 'cpu: <unknown>/50%', '1', 5, 1, '60m'],
  },
  {
    resource: ['storage.k8s.io', 'v1', 'storageclasses'],
    columns: 'Name,Provisioner,ReclaimPolicy,VolumeBindingMode,AllowVolumeExpansion,Age',
    object: { metadata: meta('local-path', { annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } }), provisioner: 'rancher.io/local-path', volumeBindingMode: 'WaitForFirstConsumer' },
    cells: ['local-path (default)', 'rancher.io/local-path', 'Delete', 'WaitForFirstConsumer', false, '60m'],
  },
  {
    resource: ['rbac.authorization.k8s.io', 'v1', 'rolebindings'],
    columns: 'Name,Role,Age,Users*,Groups*,ServiceAccounts*',
    object: {
      metadata: meta('rb'), roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [{ kind: 'User', name: 'alice' }, { kind: 'User', name: 'bob' }, { kind: 'Group', name: 'devs' }, { kind: 'ServiceAccount', name: 'ci', namespace: 'tools' }],
    },
    cells: ['rb', 'ClusterRole/view', '60m', 'alice, bob', 'devs', 'tools/ci'],
  },
  {
    resource: ['rbac.authorization.k8s.io', 'v1', 'clusterrolebindings'],
    columns: 'Name,Role,Age,Users*,Groups*,ServiceAccounts*',
    object: { metadata: meta('crb'), roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'admin' } },
    cells: ['crb', 'ClusterRole/admin', '60m', '', '', ''],
  },
  {
    resource: ['networking.k8s.io', 'v1', 'ingresses'],
    columns: 'Name,Class,Hosts,Address,Ports,Age',
    object: {
      metadata: meta('ing'),
      spec: { ingressClassName: 'traefik', tls: [{ hosts: ['a.example.com'] }], rules: [{ host: 'a.example.com' }, {}, { host: 'b.example.com' }, { host: 'c.example.com' }, { host: 'd.example.com' }] },
      status: { loadBalancer: { ingress: [{ ip: '192.168.1.10' }] } },
    },
    cells: ['ing', 'traefik', 'a.example.com,b.example.com,c.example.com + 2 more...', '192.168.1.10', '80, 443', '60m'],
  },
  {
    resource: ['networking.k8s.io', 'v1', 'ingressclasses'],
    columns: 'Name,Controller,Parameters,Age',
    object: { metadata: meta('traefik'), spec: { controller: 'traefik.io/ingress-controller', parameters: { apiGroup: 'k8s.example.com', kind: 'IngressParameters', name: 'p' } } },
    cells: ['traefik', 'traefik.io/ingress-controller', 'IngressParameters.k8s.example.com/p', '60m'],
  },
  {
    resource: ['networking.k8s.io', 'v1', 'networkpolicies'],
    columns: 'Name,Pod-Selector,Age',
    object: { metadata: meta('deny-all'), spec: { podSelector: {} } },
    cells: ['deny-all', '<none>', '60m'],
  },
  {
    resource: ['apps', 'v1', 'deployments'],
    columns: 'Name,Ready,Up-to-date,Available,Age,Containers*,Images*,Selector*',
    object: { metadata: meta('d'), spec: { selector: { matchLabels: { app: 'd' } }, template: tmpl }, status: { readyReplicas: 1, updatedReplicas: 1, availableReplicas: 1 } },
    cells: ['d', '1/1', 1, 1, '60m', 'a,b', 'img:1,img:2', 'app=d'],
  },
];

test('each printer declares Kubernetes 1.32 columns and prints a representative row', () => {
  for (const c of CASES) {
    const resource = lookupResource(...c.resource);
    assert.ok(resource, c.resource.join('/'));
    const printer = printerFor(resource);
    assert.ok(printer, `printer for ${resource.kind}`);
    const columns = columnDefinitions(printer.columns);
    assert.equal(columns.map((col) => col.name + (col.priority === 1 ? '*' : '')).join(','), c.columns, `${resource.kind} columns`);
    const cells = printer.cells(c.object, { now: NOW, resource });
    assert.equal(cells.length, columns.length, `${resource.kind}: one cell per column`);
    assert.deepEqual(cells, c.cells, `${resource.kind} cells`);
    // Exactly one column is the object's name, so kubectl can print `kind/name`.
    assert.equal(columns.filter((col) => col.format === 'name').length, 1, `${resource.kind} name column`);
  }
});

test('every registered printer is exercised above and belongs to a served resource', () => {
  const tested = new Set(CASES.map((c) => {
    const r = lookupResource(...c.resource)!;
    return `${r.group}/${r.kind}`;
  }));
  tested.add('/Pod'); // pod.test.ts
  for (const key of printedKinds()) {
    assert.ok(tested.has(key), `${key} has a case`);
    assert.ok(RESOURCES.some((r) => `${r.group}/${r.kind}` === key), `${key} is served`);
  }
});

test('kinds Kubernetes has no printer for fall back to the default table', () => {
  for (const plural of ['roles', 'clusterroles']) assert.equal(printerFor(lookupResource('rbac.authorization.k8s.io', 'v1', plural)!), undefined);
  assert.equal(printerFor(lookupResource('', 'v1', 'limitranges')!), undefined);
});

test('column descriptions come from the API docs', () => {
  const columns = columnDefinitions(printerFor(lookupResource('', 'v1', 'pods')!)!.columns);
  assert.match(columns[0]!.description, /^Name must be unique within a namespace/);
  assert.match(columns.find((c) => c.name === 'IP')!.description, /podIP address allocated to the pod/);
});
