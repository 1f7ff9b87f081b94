// The ServiceLB controller (k3s's ServiceLB in spirit), `--controllers` name `servicelb`: gives
// every `type: LoadBalancer` Service without `spec.loadBalancerClass` an address in
// `status.loadBalancer.ingress` (ipMode VIP), which each node's proxy then serves:
//
//  - by default the InternalIP of a Ready node: the Service's current one while that node stays
//    Ready, else the first Ready node by name (no Ready node: the status is left as it is);
//  - with the option `lbIpRange` (an IPv4 CIDR such as 127.0.1.0/24), one address of that pool
//    per Service: its current one if it is in the pool and no older Service has it, else
//    spec.loadBalancerIP if that is in the pool and free, else the lowest free address.
//
// Which addresses are taken is read from the other Services' statuses in the informer cache, so
// allocations survive restarts and leader changes without state of their own; `reserved` covers
// the time between our write and the cache seeing it. A Service that is deleted or stops being a
// LoadBalancer gives its address back (a former LoadBalancer's ingress is cleared, as upstream's
// service controller does). Services with any loadBalancerClass belong to another controller and
// are left alone.
import type { Node, Service, LoadBalancerIngress } from 'kubernetes-types/core/v1.js';
import type { EventRecorder } from '../../client/events.js';
import type { Informer } from '../../client/informer.js';
import { isConflict, isNotFound, objectKey, resourceRef, splitKey, type ResourceClient } from '../../client/resource_client.js';
import { WorkQueue, defaultControllerRateLimiter, runWorkers, type ReconcileResult } from '../../client/workqueue.js';
import { controllerFrom, numberOption, type Controller, type ControllerContext } from '../controller.js';
import { IpPool } from './pool.js';

export const serviceLbDefaults = {
  /** --concurrent-service-syncs */
  workers: 1,
} as const;

function isLoadBalancer(s: Service): boolean {
  return s.spec?.type === 'LoadBalancer';
}

/** Ours: a LoadBalancer Service that names no load-balancer class. */
function isOurs(s: Service): boolean {
  return isLoadBalancer(s) && !s.spec?.loadBalancerClass;
}

function ingressOf(s: Service): LoadBalancerIngress[] {
  return s.status?.loadBalancer?.ingress ?? [];
}

function sameIngress(a: readonly LoadBalancerIngress[], b: readonly LoadBalancerIngress[]): boolean {
  return a.length === b.length && a.every((x, i) => JSON.stringify(x) === JSON.stringify(b[i]));
}

function nodeReady(n: Node): boolean {
  return !n.metadata?.deletionTimestamp && (n.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

function internalIp(n: Node): string | undefined {
  return (n.status?.addresses ?? []).find((a) => a.type === 'InternalIP')?.address;
}

/** Older first; the name breaks ties (for the rare same-second creation). */
function olderThan(a: Service, b: Service): boolean {
  const ta = a.metadata?.creationTimestamp ?? '';
  const tb = b.metadata?.creationTimestamp ?? '';
  return ta !== tb ? ta < tb : objectKey(a) < objectKey(b);
}

class ServiceLbController {
  private readonly services: Informer<Service>;
  private readonly nodes: Informer<Node>;
  private readonly client: ResourceClient<Service>;
  private readonly queue: WorkQueue<string>;
  private readonly pool: IpPool | undefined;
  private readonly recorder: EventRecorder | undefined;
  /** Pool addresses we gave (written or being written), by Service key. */
  private readonly reserved = new Map<string, string>();

  constructor(private readonly ctx: ControllerContext) {
    const range = ctx.options.lbIpRange;
    this.pool = typeof range === 'string' && range.trim() !== '' ? new IpPool(range.trim()) : undefined;
    const ref = resourceRef('', 'v1', 'services');
    this.services = ctx.factory.informerFor<Service>(ref);
    this.nodes = ctx.factory.informerFor<Node>(resourceRef('', 'v1', 'nodes'));
    this.client = ctx.source.resource<Service>(ref);
    this.recorder = ctx.recorder('service-lb-controller');
    this.queue = new WorkQueue<string>({ clock: ctx.clock, rateLimiter: defaultControllerRateLimiter(ctx.clock), name: 'servicelb' });
    this.services.addEventHandler({
      onAdd: (s) => this.queue.add(objectKey(s)),
      onUpdate: (_o, s) => this.queue.add(objectKey(s)),
      onDelete: (s) => {
        const key = objectKey(s);
        this.reserved.delete(key);
        this.queue.add(key);
        // Its address is free now: a Service still waiting for one may get it.
        if (this.pool) for (const other of this.services.list()) if (isOurs(other) && ingressOf(other).length === 0) this.queue.add(objectKey(other));
      },
    });
    if (!this.pool) {
      const nodeChanged = (): void => {
        for (const s of this.services.list()) if (isOurs(s)) this.queue.add(objectKey(s));
      };
      this.nodes.addEventHandler({
        onAdd: nodeChanged,
        onUpdate: (o, n) => {
          if (nodeReady(o) !== nodeReady(n) || internalIp(o) !== internalIp(n)) nodeChanged();
        },
        onDelete: nodeChanged,
      });
    }
  }

  async run(signal: AbortSignal): Promise<void> {
    await runWorkers(this.queue, numberOption(this.ctx, 'concurrentServiceSyncs', serviceLbDefaults.workers, { positive: true }), (key) => this.sync(key), signal, {
      onError: (key, err) => this.ctx.onError(new Error(`servicelb ${key}: ${err instanceof Error ? err.message : String(err)}`)),
    });
  }

  async sync(key: string): Promise<void | ReconcileResult> {
    const svc = this.services.getByKey(key);
    if (!svc) {
      this.reserved.delete(key);
      return;
    }
    if (svc.spec?.loadBalancerClass) {
      this.reserved.delete(key);
      return;
    }
    if (!isLoadBalancer(svc)) {
      this.reserved.delete(key);
      if (ingressOf(svc).length === 0) return;
      return this.write(svc, []);
    }
    if (svc.metadata?.deletionTimestamp) return;
    const want = this.pool ? this.fromPool(svc, this.pool) : this.fromNodes(svc);
    if (!want) return;
    const ingress: LoadBalancerIngress[] = [{ ip: want, ipMode: 'VIP' }];
    if (sameIngress(ingressOf(svc), ingress)) return;
    const result = await this.write(svc, ingress);
    if (!result) this.recorder?.event(svc, 'Normal', 'EnsuredLoadBalancer', `Assigned IP ${want}`);
    return result;
  }

  private fromNodes(svc: Service): string | undefined {
    const ready = this.nodes
      .list()
      .filter(nodeReady)
      .sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''))
      .map(internalIp)
      .filter((ip): ip is string => !!ip);
    const current = ingressOf(svc)[0]?.ip;
    if (current && ready.includes(current)) return current;
    return ready[0];
  }

  private fromPool(svc: Service, pool: IpPool): string {
    const key = objectKey(svc);
    const mine = this.reserved.get(key);
    if (mine && pool.contains(mine)) return mine;
    // Who has which pool address, by the cache and by our writes in flight.
    const owners = new Map<string, Service[]>();
    const used = new Set<string>();
    for (const s of this.services.list()) {
      if (objectKey(s) === key || !isOurs(s)) continue;
      for (const i of ingressOf(s)) {
        if (!i.ip || !pool.contains(i.ip)) continue;
        used.add(i.ip);
        let list = owners.get(i.ip);
        if (!list) owners.set(i.ip, (list = []));
        list.push(s);
      }
    }
    for (const [k, ip] of this.reserved) if (k !== key) used.add(ip);
    const reservedByOther = (ip: string): boolean => [...this.reserved].some(([k, v]) => k !== key && v === ip);
    let pick: string | undefined;
    const current = ingressOf(svc).find((i) => pool.contains(i.ip))?.ip;
    // Two Services claiming one address (a race of two leaders): the older keeps it.
    if (current && !reservedByOther(current) && !(owners.get(current) ?? []).some((o) => olderThan(o, svc))) pick = current;
    const asked = svc.spec?.loadBalancerIP;
    if (!pick && asked && pool.contains(asked) && !used.has(asked)) pick = asked;
    pick ??= pool.allocate(used);
    if (!pick) {
      this.recorder?.event(svc, 'Warning', 'AllocationFailed', `Failed to allocate IP for "${key}": no available IPs in ${pool.cidr}`);
      throw new Error(`no free address in lbIpRange ${pool.cidr} (${pool.size} addresses)`);
    }
    this.reserved.set(key, pick);
    return pick;
  }

  private async write(svc: Service, ingress: LoadBalancerIngress[]): Promise<void | ReconcileResult> {
    const { namespace } = splitKey(objectKey(svc));
    try {
      // With the cached resourceVersion: a Service changed meanwhile is looked at again.
      await this.client.updateStatus(namespace, { ...svc, status: { ...svc.status, loadBalancer: ingress.length > 0 ? { ingress } : {} } });
    } catch (err) {
      if (isConflict(err)) return { requeueAfterMs: 100 };
      if (isNotFound(err)) {
        this.reserved.delete(objectKey(svc));
        return;
      }
      throw err;
    }
  }
}

/** The `servicelb` controller: addresses for LoadBalancer Services without a class. */
export function serviceLbController(): Controller {
  return controllerFrom('servicelb', (ctx) => new ServiceLbController(ctx));
}
