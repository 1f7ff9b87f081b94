// The node IPAM controller (upstream's `nodeipam`, range allocator): every Node gets a
// `spec.podCIDR` (and `podCIDRs`), a /24 of the cluster CIDR (default 10.42.0.0/16) that no other
// Node holds. A Node that registered with one (a kubelet started with --pod-cidr, or `capstan up`)
// keeps it and its range counts as used. The set of used ranges is rebuilt from the informer
// cache, so a restart or a second manager under leader election cannot hand out one twice: a
// podCIDR, once set, is immutable in the API, and a losing write is a conflict that requeues.
import type { Node } from 'kubernetes-types/core/v1.js';
import { numberToIpv4, parseIPv4Cidr } from '../../api/ipv4.js';
import type { Informer } from '../../client/informer.js';
import { isConflict, isNotFound, type ResourceRef } from '../../client/resource_client.js';
import { WorkQueue, defaultControllerRateLimiter, runWorkers } from '../../client/workqueue.js';
import type { Controller } from '../controller.js';

const NODES: ResourceRef = { group: '', version: 'v1', plural: 'nodes', namespaced: false };
export const DEFAULT_CLUSTER_CIDR = '10.42.0.0/16';
export const NODE_CIDR_MASK = 24;

/** The node ranges of a cluster CIDR, in order (10.42.0.0/24, 10.42.1.0/24, ...). */
export function nodeRanges(clusterCidr: string, maskBits = NODE_CIDR_MASK): { count: number; at(i: number): string } {
  const c = parseIPv4Cidr(clusterCidr);
  if (!c || c.bits > maskBits) throw new Error(`nodeipam: cluster CIDR "${clusterCidr}" is not an IPv4 CIDR of /${maskBits} or wider`);
  return { count: 2 ** (maskBits - c.bits), at: (i) => `${numberToIpv4(c.base + i * 2 ** (32 - maskBits))}/${maskBits}` };
}

export function nodeIpamController(): Controller {
  let queue: WorkQueue<string> | undefined;
  let nodes: Informer<Node> | undefined;
  return {
    name: 'nodeipam',
    setup(ctx) {
      const q = new WorkQueue<string>({ clock: ctx.clock, rateLimiter: defaultControllerRateLimiter(ctx.clock), name: 'nodeipam' });
      queue = q;
      nodes = ctx.factory.informerFor<Node>(NODES);
      const enqueue = (n: Node): void => {
        if (n.metadata?.name && !n.spec?.podCIDR) q.add(n.metadata.name);
      };
      nodes.addEventHandler({ onAdd: enqueue, onUpdate: (_o, n) => enqueue(n) });
    },
    async run(ctx, signal) {
      if (!queue || !nodes) throw new Error('nodeipam: run before setup');
      const informer = nodes;
      const ranges = nodeRanges(String(ctx.options.clusterCidr ?? DEFAULT_CLUSTER_CIDR));
      const client = ctx.source.resource<Node>(NODES);
      // Our own writes the cache has not shown yet (node name → range): without them the next
      // node could get the range just handed out.
      const pending = new Map<string, string>();
      // One worker: allocation reads the cache's used set and must not race with itself.
      await runWorkers(
        queue,
        1,
        async (name) => {
          const node = informer.get('', name);
          if (!node || node.spec?.podCIDR) return;
          for (const [n] of pending) {
            const seen = informer.get('', n);
            if (!seen || seen.spec?.podCIDR) pending.delete(n);
          }
          const used = new Set([...pending.values(), ...informer.list().flatMap((n) => n.spec?.podCIDRs ?? (n.spec?.podCIDR ? [n.spec.podCIDR] : []))]);
          let free: string | undefined;
          for (let i = 0; i < ranges.count && !free; i++) if (!used.has(ranges.at(i))) free = ranges.at(i);
          if (!free) throw new Error(`no pod CIDR left in ${String(ctx.options.clusterCidr ?? DEFAULT_CLUSTER_CIDR)} for node ${name}`);
          try {
            // resourceVersion makes a concurrent change (another allocation) a conflict, retried.
            await client.patch('', name, 'merge', { metadata: { resourceVersion: node.metadata?.resourceVersion }, spec: { podCIDR: free, podCIDRs: [free] } });
            pending.set(name, free);
          } catch (err) {
            if (isNotFound(err)) return;
            if (isConflict(err)) return { requeue: true };
            throw err;
          }
          return undefined;
        },
        signal,
        { onError: (name, err) => ctx.onError(new Error(`nodeipam: node ${name}: ${err instanceof Error ? err.message : String(err)}`)) },
      );
    },
  };
}
