import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { podResolvConf } from './dns_config.js';

const settings = { clusterDns: ['10.43.0.10'], clusterDomain: 'cluster.local', hostResolvConf: 'nameserver 192.0.2.53\nsearch corp.example\n' };
const pod = (spec: Partial<NonNullable<Pod['spec']>> = {}): Pod => ({ metadata: { name: 'p', namespace: 'team' }, spec: { containers: [], ...spec } });

test('ClusterFirst: cluster DNS, the namespace search path, ndots:5', () => {
  assert.equal(podResolvConf(pod(), settings), 'nameserver 10.43.0.10\nsearch team.svc.cluster.local svc.cluster.local cluster.local corp.example\noptions ndots:5\n');
});

test('Default, hostNetwork and None with dnsConfig', () => {
  assert.equal(podResolvConf(pod({ dnsPolicy: 'Default' }), settings), 'nameserver 192.0.2.53\nsearch corp.example\n');
  assert.equal(podResolvConf(pod({ hostNetwork: true }), settings), 'nameserver 192.0.2.53\nsearch corp.example\n');
  assert.match(podResolvConf(pod({ hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' }), settings), /^nameserver 10\.43\.0\.10$/m);
  assert.equal(
    podResolvConf(pod({ dnsPolicy: 'None', dnsConfig: { nameservers: ['1.2.3.4'], searches: ['a.b'], options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }] } }), settings),
    'nameserver 1.2.3.4\nsearch a.b\noptions ndots:2 edns0\n',
  );
  assert.match(podResolvConf(pod({ dnsConfig: { options: [{ name: 'ndots', value: '1' }] } }), settings), /options ndots:1\n$/);
});
