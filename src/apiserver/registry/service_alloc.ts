// ClusterIP and NodePort allocation for Services, as upstream's Service REST storage does it
// (pkg/registry/core/service/{ipallocator,portallocator} and storage/alloc.go): the GenericStore
// calls the WriteHooks below around every Service write, so a create gets a cluster IP from the
// service CIDR and node ports from the node port range, an update that changes the type takes or
// gives them back, and a delete frees them. Explicit requests are honoured or refused with
// upstream's 422 texts.
//
// Persistence: one store key per allocated value (`/registry/ranges/serviceips/<ip>`,
// `/registry/ranges/servicenodeports/<port>`), holding the owner `ns/name` as a JSON string,
// taken with the Backend's create-if-absent. That makes allocation safe under concurrency (two
// creates racing for a value: one gets KeyExists and tries another) and O(1)-ish: a dynamic
// value is a random one of the range, retried a few times, and only a nearly full range falls
// back to one list of the keys. Like upstream's KEP-3070 ranges, dynamic values come from the
// upper part of the range first, leaving the lower part to explicit requests (the `kubernetes`
// Service's .1 lives there).
//
// A write's side effects settle with it (FinishWrite): what a failed write took is given back,
// what a successful update gave up is freed. A crash between the two can leak a key or leave a
// Service without one; `repair` (run by startApiServer before it serves) fixes both.
//
// Also here: the `kubernetes` Service in `default` and its Endpoints and EndpointSlice, pointing
// at the API server itself (upstream's controlplane "master service" reconciler).
import type { EndpointPort, Endpoints, ServicePort, ServiceSpec } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { type FieldError, type FieldPath, field, fieldPath, goQuote, internalError, invalid, isApiError } from '../../api/errors.js';
import { parseIP } from '../../api/validation.js';
import { ipv4ToNumber, numberToIpv4, parseIPv4Cidr } from '../../api/ipv4.js';
import { ConflictError, KeyExistsError, NotFoundError, type Backend } from '../../storage/backend.js';
import type { FinishWrite, GenericStore, WriteHooks } from './generic_store.js';
import type { KubeObject } from './strategy.js';
import { GoValue, invalidGo, isRecord } from './strategies/util.js';

export const SERVICE_IPS_PREFIX = '/registry/ranges/serviceips/';
export const NODE_PORTS_PREFIX = '/registry/ranges/servicenodeports/';

/** Random picks before a dynamic allocation falls back to listing the taken values. */
const RANDOM_TRIES = 16;

// ------------------------------------------------------------------------------ ranges

/** The service CIDR option: an IPv4 CIDR from /12 (upstream's largest) to /30 (room for .1 and one more). */
export function parseServiceCidr(s: string, what = 'service CIDR'): { base: number; bits: number; text: string } {
  const c = parseIPv4Cidr(s);
  if (!c) throw new Error(`${what}: expected an IPv4 CIDR such as 10.43.0.0/16, got "${s}"`);
  if (c.bits < 12) throw new Error(`${what} ${s} is too large: the mask must be /12 or longer`);
  if (c.bits > 30) throw new Error(`${what} ${s} is too small: the mask must be /30 or shorter`);
  return { base: c.base, bits: c.bits, text: c.text };
}

/** The node port range option, `low-high` (upstream net.ParsePortRange's usual form). */
export function parsePortRange(s: string, what = 'node port range'): { base: number; size: number; text: string } {
  const m = /^(\d{1,5})-(\d{1,5})$/.exec(s.trim());
  const low = Number(m?.[1]);
  const high = Number(m?.[2]);
  if (!m || low < 1 || high > 65535 || low > high) throw new Error(`${what}: expected a port range such as 30000-32767 within 1-65535, got "${s}"`);
  return { base: low, size: high - low + 1, text: `${low}-${high}` };
}

/**
 * Upstream's calculateRangeOffset: the size of the lower part of a range that dynamic allocation
 * leaves to explicit requests, min(max(min, size/step), max), 0 for small ranges.
 */
function rangeOffset(size: number, min: number, max: number, step: number): number {
  if (size <= min) return 0;
  return Math.min(Math.max(min, Math.floor(size / step)), max);
}

/** A range of values with one store key each. */
class Pool {
  constructor(
    readonly prefix: string,
    readonly first: number,
    readonly last: number,
    /** Values first..first+offset-1 are handed out dynamically only when the rest is full. */
    readonly offset: number,
    readonly format: (n: number) => string,
  ) {}

  key(n: number): string {
    return this.prefix + this.format(n);
  }

  contains(n: number): boolean {
    return n >= this.first && n <= this.last;
  }

  /** The parts dynamic allocation tries, in order: [from, to] inclusive. */
  bands(): Array<[number, number]> {
    const upper: [number, number] = [this.first + this.offset, this.last];
    return this.offset > 0 ? [upper, [this.first, this.first + this.offset - 1]] : [upper];
  }
}

// ------------------------------------------------------------------------------ service fields

type Spec = ServiceSpec & Record<string, unknown>;

function specOfService(obj: KubeObject): Spec {
  if (!isRecord(obj.spec)) obj.spec = {};
  return obj.spec as Spec;
}

function ownerOf(obj: KubeObject): string {
  return `${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
}

const num = (x: unknown): number => (typeof x === 'number' && Number.isInteger(x) ? x : 0);
const portsOf = (s: ServiceSpec): ServicePort[] => (Array.isArray(s.ports) ? s.ports.filter((p): p is ServicePort => isRecord(p)) : []);
const isHeadless = (s: ServiceSpec): boolean => s.clusterIP === 'None' || (s.clusterIPs ?? [])[0] === 'None';
const needsNodePorts = (s: ServiceSpec): boolean => s.type === 'NodePort' || s.type === 'LoadBalancer';
const needsHealthCheck = (s: ServiceSpec): boolean => s.type === 'LoadBalancer' && s.externalTrafficPolicy === 'Local';
/** NodePort always; LoadBalancer unless allocateLoadBalancerNodePorts is false. Explicit node ports are honoured either way. */
const allocatesNodePorts = (s: ServiceSpec): boolean => s.type === 'NodePort' || (s.type === 'LoadBalancer' && s.allocateLoadBalancerNodePorts !== false);
const nodePortsOf = (s: ServiceSpec): number[] => portsOf(s).map((p) => num(p.nodePort)).filter((n) => n !== 0);
const clusterIPsOf = (s: ServiceSpec): string[] => (s.clusterIPs && s.clusterIPs.length > 0 ? s.clusterIPs : s.clusterIP ? [s.clusterIP] : []);

function goStrings(xs: readonly string[]): GoValue {
  return new GoValue(`[]string{${xs.map(goQuote).join(', ')}}`);
}

// ------------------------------------------------------------------------------ one write

/** The allocations of one write: what it took (given back if the write fails) and what it gives up. */
class Operation {
  private readonly taken: string[] = [];
  private readonly givenUp: string[] = [];
  private readonly claimed = new Set<string>();
  private readonly owner: string;

  constructor(
    private readonly alloc: ServiceAllocator,
    private readonly obj: KubeObject,
    readonly dryRun: boolean,
  ) {
    this.owner = ownerOf(obj);
  }

  /** Takes value `n` of `pool`; false when someone (or this write) holds it already. A dry run only checks. */
  async claim(pool: Pool, n: number): Promise<boolean> {
    const key = pool.key(n);
    if (this.claimed.has(key)) return false;
    if (this.dryRun) {
      if ((await this.alloc.backend.get(key)).kv) return false;
    } else {
      try {
        await this.alloc.backend.create(key, JSON.stringify(this.owner));
      } catch (err) {
        if (err instanceof KeyExistsError) return false;
        throw err;
      }
      this.taken.push(key);
    }
    this.claimed.add(key);
    return true;
  }

  /** Takes any free value: random picks in the upper band, then a scan of one listing. */
  async claimNext(pool: Pool): Promise<number | undefined> {
    const [upperFrom, upperTo] = pool.bands()[0]!;
    if (upperTo >= upperFrom) {
      for (let i = 0; i < RANDOM_TRIES; i++) {
        const n = upperFrom + Math.floor(Math.random() * (upperTo - upperFrom + 1));
        if (await this.claim(pool, n)) return n;
      }
    }
    // Nearly full (or unlucky): one read of what is taken, then the free values from a random start.
    const used = new Set((await this.alloc.backend.list(pool.prefix)).kvs.map((kv) => kv.key));
    for (const [from, to] of pool.bands()) {
      const size = to - from + 1;
      if (size <= 0) continue;
      const start = Math.floor(Math.random() * size);
      for (let i = 0; i < size; i++) {
        const n = from + ((start + i) % size);
        const key = pool.key(n);
        if (used.has(key) || this.claimed.has(key)) continue;
        if (await this.claim(pool, n)) return n;
      }
    }
    return undefined;
  }

  /** Frees `n` once the write is stored. */
  giveUp(pool: Pool, n: number): void {
    this.givenUp.push(pool.key(n));
  }

  /** Settles the write; never throws (a failure to free leaves a key for the next repair). */
  async finish(written: boolean): Promise<void> {
    if (this.dryRun) return;
    try {
      if (!written) {
        for (const key of this.taken) await this.alloc.releaseKey(key, this.owner);
        return;
      }
      const owner = ownerOf(this.obj);
      for (const key of this.givenUp) await this.alloc.releaseKey(key, owner);
      // A generated name that collided was replaced after the values were taken: record the final one.
      if (owner !== this.owner) for (const key of this.taken) await this.alloc.setOwner(key, this.owner, owner);
    } catch (err) {
      this.alloc.log(`service allocation: settling ${this.owner} failed: ${String(err)}`);
    }
  }
}

// ------------------------------------------------------------------------------ allocator

export interface ServiceAllocatorOptions {
  backend: Backend;
  /** IPv4 CIDR of cluster IPs (default 10.43.0.0/16). */
  serviceCidr: string;
  /** `low-high` node ports (default 30000-32767). */
  nodePortRange: string;
  log?: (msg: string) => void;
}

export class ServiceAllocator {
  readonly backend: Backend;
  readonly ips: Pool;
  readonly ports: Pool;
  /** `10.43.0.0/16`, as upstream prints the range. */
  readonly cidrText: string;
  readonly portRangeText: string;
  private readonly logFn: (msg: string) => void;

  /** Throws an Error naming the option when the CIDR or range is malformed. */
  constructor(opts: ServiceAllocatorOptions) {
    this.backend = opts.backend;
    this.logFn = opts.log ?? (() => undefined);
    const cidr = parseServiceCidr(opts.serviceCidr, 'serviceCidr');
    const size = 2 ** (32 - cidr.bits);
    // Neither the network address nor the broadcast address is ever handed out.
    this.ips = new Pool(SERVICE_IPS_PREFIX, cidr.base + 1, cidr.base + size - 2, rangeOffset(size, 16, 256, 16), numberToIpv4);
    this.cidrText = cidr.text;
    const pr = parsePortRange(opts.nodePortRange, 'nodePortRange');
    this.ports = new Pool(NODE_PORTS_PREFIX, pr.base, pr.base + pr.size - 1, rangeOffset(pr.size, 16, 128, 32), String);
    this.portRangeText = pr.text;
  }

  log(msg: string): void {
    this.logFn(msg);
  }

  /** The first address of the range: the `kubernetes` Service's. */
  get firstIP(): string {
    return numberToIpv4(this.ips.first);
  }

  /** The store hooks of the services resource. */
  hooks(): WriteHooks {
    return {
      beginCreate: (obj, opts) => this.begin(obj, opts.dryRun, async (op) => {
        this.initFamilies(obj, undefined);
        await this.allocClusterIPs(op, obj);
        await this.allocNodePorts(op, obj);
        if (needsHealthCheck(specOfService(obj))) await this.allocHealthCheck(op, obj);
      }),
      beginUpdate: (obj, old, opts) => this.begin(obj, opts.dryRun, async (op) => {
        patchAllocatedValues(specOfService(obj), specOfService(old));
        this.initFamilies(obj, old);
        await this.updateClusterIPs(op, obj, old);
        await this.updateNodePorts(op, obj, old);
        await this.updateHealthCheck(op, obj, old);
      }),
      afterDelete: async (obj) => {
        const owner = ownerOf(obj);
        try {
          for (const { pool, value } of this.held(obj)) await this.releaseKey(pool.key(value), owner);
        } catch (err) {
          this.log(`service allocation: releasing ${owner} failed: ${String(err)}`);
        }
      },
    };
  }

  private async begin(obj: KubeObject, dryRun: boolean, work: (op: Operation) => Promise<void>): Promise<FinishWrite> {
    const op = new Operation(this, obj, dryRun);
    try {
      await work(op);
    } catch (err) {
      await op.finish(false);
      throw err;
    }
    return (written) => op.finish(written);
  }

  /** Deletes an allocation key if `owner` holds it (someone else's is left alone). */
  async releaseKey(key: string, owner: string): Promise<void> {
    const { kv } = await this.backend.get(key);
    if (!kv || kv.value !== JSON.stringify(owner)) return;
    try {
      await this.backend.delete(key, kv.modRevision);
    } catch (err) {
      if (!(err instanceof ConflictError || err instanceof NotFoundError)) throw err;
    }
  }

  async setOwner(key: string, from: string, to: string): Promise<void> {
    const { kv } = await this.backend.get(key);
    if (!kv || kv.value !== JSON.stringify(from)) return;
    await this.backend.update(key, JSON.stringify(to), kv.modRevision);
  }

  /** The values a stored Service holds, with their pools. */
  held(obj: KubeObject): Array<{ pool: Pool; value: number }> {
    const spec = specOfService(obj);
    const out: Array<{ pool: Pool; value: number }> = [];
    if (spec.type !== 'ExternalName' && !isHeadless(spec)) {
      for (const ip of clusterIPsOf(spec)) {
        const n = ipv4ToNumber(ip);
        if (n !== undefined) out.push({ pool: this.ips, value: n });
      }
    }
    for (const np of nodePortsOf(spec)) out.push({ pool: this.ports, value: np });
    const hc = num(spec.healthCheckNodePort);
    if (needsHealthCheck(spec) && hc !== 0) out.push({ pool: this.ports, value: hc });
    return out;
  }

  // ---------------------------------------------------------------- IP families

  /**
   * Upstream's initIPFamilyFields for a single-stack IPv4 cluster: fills ipFamilyPolicy and
   * ipFamilies, and refuses what this cluster cannot serve (IPv6, RequireDualStack).
   */
  private initFamilies(obj: KubeObject, old: KubeObject | undefined): void {
    const spec = specOfService(obj);
    if (spec.type === 'ExternalName') return;
    const prev = old ? specOfService(old) : undefined;
    const selectorless = !isRecord(spec.selector) || Object.keys(spec.selector).length === 0;
    if (!spec.ipFamilyPolicy) {
      spec.ipFamilyPolicy = prev?.ipFamilyPolicy ?? (spec.clusterIP === 'None' && selectorless ? 'RequireDualStack' : 'SingleStack');
    }
    const policy = spec.ipFamilyPolicy;
    const families = Array.isArray(spec.ipFamilies) ? [...spec.ipFamilies] : [];
    const ips = clusterIPsOf(spec);
    const errs: FieldError[] = [];
    if (policy === 'SingleStack') {
      if (ips.length === 2) errs.push(field.invalid(fieldPath('spec', 'ipFamilyPolicy'), policy, "must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified"));
      if (families.length === 2) errs.push(field.invalid(fieldPath('spec', 'ipFamilyPolicy'), policy, "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified"));
    }
    for (let i = 0; i < ips.length; i++) {
      const ip = ips[i]!;
      if (ip === 'None') break;
      // Malformed addresses are left to validation, which names them.
      const bytes = ip === '' ? null : parseIP(ip, true);
      if (bytes?.length === 16) errs.push(invalidGo(fieldPath('spec', 'clusterIPs').index(i), goStrings(ips), 'IPv6 is not configured on this cluster'));
      else if (bytes && i >= families.length) families.push('IPv4');
    }
    this.fail(obj, errs);
    if (spec.clusterIP === 'None' && selectorless) {
      // Headless and selectorless: any family goes, as upstream allows.
      if (families.length === 0) families.push('IPv4');
      if (families.length < 2 && policy !== 'SingleStack') families.push(families[0] === 'IPv4' ? 'IPv6' : 'IPv4');
      spec.ipFamilies = families;
      return;
    }
    if (policy === 'RequireDualStack') errs.push(field.invalid(fieldPath('spec', 'ipFamilyPolicy'), policy, 'this cluster is not configured for dual-stack services'));
    families.forEach((f, i) => {
      if (f !== 'IPv4') errs.push(field.invalid(fieldPath('spec', 'ipFamilies').index(i), f, 'not configured on this cluster'));
    });
    this.fail(obj, errs);
    spec.ipFamilies = families.length > 0 ? families : ['IPv4'];
  }

  private fail(obj: KubeObject, errs: FieldError[]): void {
    if (errs.length > 0) throw invalid({ group: '', kind: 'Service' }, obj.metadata?.name ?? '', errs);
  }

  // ---------------------------------------------------------------- cluster IPs

  private async allocClusterIPs(op: Operation, obj: KubeObject): Promise<void> {
    const spec = specOfService(obj);
    if (spec.type === 'ExternalName' || isHeadless(spec)) return;
    const ips = clusterIPsOf(spec);
    const requested = ips[0] ?? '';
    // clusterIP and clusterIPs[0] that disagree are validation's to report, not ours to pick from.
    if (spec.clusterIP && spec.clusterIP !== requested) return;
    let ip: string;
    if (requested === '') {
      const n = await op.claimNext(this.ips);
      if (n === undefined) throw internalError(new Error('failed to allocate a serviceIP: range is full'));
      ip = numberToIpv4(n);
    } else {
      const n = ipv4ToNumber(requested);
      if (n === undefined) return; // validation names the malformed address
      const refuse = (reason: string): never => {
        throw invalid({ group: '', kind: 'Service' }, obj.metadata?.name ?? '', [
          invalidGo(fieldPath('spec', 'clusterIPs'), goStrings(ips), `failed to allocate IP ${requested}: ${reason}`),
        ]);
      };
      if (!this.ips.contains(n)) refuse(`the provided IP (${numberToIpv4(n)}) is not in the valid range. The range of valid IPs is ${this.cidrText}`);
      if (!(await op.claim(this.ips, n))) refuse('provided IP is already allocated');
      ip = requested;
    }
    spec.clusterIP = ip;
    spec.clusterIPs = [ip];
  }

  private async updateClusterIPs(op: Operation, obj: KubeObject, old: KubeObject): Promise<void> {
    const spec = specOfService(obj);
    const prev = specOfService(old);
    if (prev.type === 'ExternalName') {
      if (spec.type !== 'ExternalName') await this.allocClusterIPs(op, obj);
      return;
    }
    if (isHeadless(prev)) return;
    if (spec.type === 'ExternalName') {
      for (const ip of clusterIPsOf(prev)) {
        const n = ipv4ToNumber(ip);
        if (n !== undefined) op.giveUp(this.ips, n);
      }
      return;
    }
    // A Service stored before allocation existed gets its address on its next update.
    if (clusterIPsOf(prev).length === 0) await this.allocClusterIPs(op, obj);
  }

  // ---------------------------------------------------------------- node ports

  private async claimPort(op: Operation, obj: KubeObject, n: number, path: FieldPath): Promise<void> {
    const reason = !this.ports.contains(n)
      ? `provided port is not in the valid range. The range of valid ports is ${this.portRangeText}`
      : (await op.claim(this.ports, n)) ? undefined : 'provided port is already allocated';
    if (reason) throw invalid({ group: '', kind: 'Service' }, obj.metadata?.name ?? '', [field.invalid(path, n, reason)]);
  }

  private async nextPort(op: Operation, what: string): Promise<number> {
    const n = await op.claimNext(this.ports);
    if (n === undefined) throw internalError(new Error(`failed to allocate ${what}: range is full`));
    return n;
  }

  /** On create; a port number on both TCP and UDP shares one node port, as upstream. */
  private async allocNodePorts(op: Operation, obj: KubeObject): Promise<void> {
    const spec = specOfService(obj);
    if (!needsNodePorts(spec)) return;
    const ports = portsOf(spec);
    const byPort = new Map<number, number>();
    for (let i = 0; i < ports.length; i++) {
      const p = ports[i]!;
      const np = num(p.nodePort);
      if (np === 0 && !allocatesNodePorts(spec)) continue;
      const path = fieldPath('spec', 'ports').index(i).child('nodePort');
      const shared = byPort.get(num(p.port)) ?? 0;
      if (shared === 0) {
        // The first entry of a port number takes the node port any entry of that number asks for.
        const requested = ports.find((q) => num(q.port) === num(p.port) && num(q.nodePort) !== 0);
        let value = requested ? num(requested.nodePort) : 0;
        if (value !== 0) await this.claimPort(op, obj, value, path);
        else value = await this.nextPort(op, 'a nodePort');
        p.nodePort = value;
        byPort.set(num(p.port), value);
      } else if (np === 0) {
        p.nodePort = shared;
      } else if (np !== shared) {
        await this.claimPort(op, obj, np, path);
      }
    }
  }

  private async updateNodePorts(op: Operation, obj: KubeObject, old: KubeObject): Promise<void> {
    const spec = specOfService(obj);
    const prev = specOfService(old);
    const oldPorts = nodePortsOf(prev);
    if (needsNodePorts(prev) && (spec.type === 'ClusterIP' || spec.type === 'ExternalName')) {
      for (const np of oldPorts) op.giveUp(this.ports, np);
    }
    if (!needsNodePorts(spec)) return;
    const ports = portsOf(spec);
    const mine = new Set<number>();
    for (let i = 0; i < ports.length; i++) {
      const p = ports[i]!;
      const np = num(p.nodePort);
      if (np === 0 && !allocatesNodePorts(spec)) continue;
      if (np !== 0) {
        if (!oldPorts.includes(np) && !mine.has(np)) {
          await this.claimPort(op, obj, np, fieldPath('spec', 'ports').index(i).child('nodePort'));
          mine.add(np);
        }
      } else {
        p.nodePort = await this.nextPort(op, 'a nodePort');
      }
    }
    const kept = nodePortsOf(spec);
    for (const np of oldPorts) if (!kept.includes(np)) op.giveUp(this.ports, np);
  }

  // ---------------------------------------------------------------- health check node port

  /** Upstream answers health check node port failures with a 500, not a 422. */
  private async allocHealthCheck(op: Operation, obj: KubeObject): Promise<void> {
    const spec = specOfService(obj);
    const hc = num(spec.healthCheckNodePort);
    if (hc === 0) {
      spec.healthCheckNodePort = await this.nextPort(op, 'a HealthCheck NodePort 0');
      return;
    }
    const reason = !this.ports.contains(hc)
      ? `provided port is not in the valid range. The range of valid ports is ${this.portRangeText}`
      : (await op.claim(this.ports, hc)) ? undefined : 'provided port is already allocated';
    if (reason) throw internalError(new Error(`failed to allocate requested HealthCheck NodePort ${hc}: ${reason}`));
  }

  private async updateHealthCheck(op: Operation, obj: KubeObject, old: KubeObject): Promise<void> {
    const spec = specOfService(obj);
    const prev = specOfService(old);
    const needed = needsHealthCheck(prev);
    const needs = needsHealthCheck(spec);
    if (!needed && needs) await this.allocHealthCheck(op, obj);
    else if (needed && !needs) {
      const hc = num(prev.healthCheckNodePort);
      if (hc !== 0) op.giveUp(this.ports, hc);
    } else if (needed && needs && num(spec.healthCheckNodePort) !== num(prev.healthCheckNodePort)) {
      this.fail(obj, [field.invalid(fieldPath('spec', 'healthCheckNodePort'), num(spec.healthCheckNodePort),
        'cannot change healthCheckNodePort on loadBalancer service with externalTraffic=Local during update')]);
    }
  }

  // ---------------------------------------------------------------- repair

  /**
   * Makes the keys match the stored Services (upstream's repair controllers, once at start):
   * frees keys no Service holds (or that name another owner) and records values held without
   * a key. Run it before the server takes writes: it reads a snapshot.
   */
  async repair(services: GenericStore): Promise<{ freed: number; recorded: number }> {
    const want = new Map<string, { owner: string; pool: Pool; value: number }>();
    for (const svc of (await services.list('')).items) {
      const owner = JSON.stringify(ownerOf(svc));
      for (const { pool, value } of this.held(svc)) {
        const key = pool.key(value);
        const holder = want.get(key);
        if (holder !== undefined && holder.owner !== owner) {
          this.log(`service allocation repair: ${pool.format(value)} is held by both ${holder.owner} and ${owner}`);
          continue;
        }
        want.set(key, { owner, pool, value });
      }
    }
    let freed = 0;
    let recorded = 0;
    for (const prefix of [SERVICE_IPS_PREFIX, NODE_PORTS_PREFIX]) {
      for (const kv of (await this.backend.list(prefix)).kvs) {
        const w = want.get(kv.key);
        want.delete(kv.key);
        try {
          if (w === undefined) {
            await this.backend.delete(kv.key, kv.modRevision);
            freed++;
          } else if (w.owner !== kv.value) {
            await this.backend.update(kv.key, w.owner, kv.modRevision);
            recorded++;
          }
        } catch (err) {
          if (!(err instanceof ConflictError || err instanceof NotFoundError)) throw err;
        }
      }
    }
    for (const [key, w] of want) {
      // Values outside the configured range (it changed since) stay with their Service, unrecorded.
      if (!w.pool.contains(w.value)) continue;
      try {
        await this.backend.create(key, w.owner);
        recorded++;
      } catch (err) {
        if (!(err instanceof KeyExistsError)) throw err;
      }
    }
    if (freed > 0 || recorded > 0) this.log(`service allocations repaired: ${freed} freed, ${recorded} recorded`);
    return { freed, recorded };
  }
}

/**
 * Upstream's patchAllocatedValues: an update that leaves out values the Service holds (a PUT
 * built from a manifest) keeps them instead of getting new ones. Node ports match by port name.
 */
function patchAllocatedValues(spec: Spec, prev: Spec): void {
  if (spec.type !== 'ExternalName' && prev.type !== 'ExternalName') {
    if (!spec.clusterIP && prev.clusterIP) spec.clusterIP = prev.clusterIP;
    if ((spec.clusterIPs ?? []).length === 0 && (prev.clusterIPs ?? []).length > 0) spec.clusterIPs = [...prev.clusterIPs!];
  }
  if (needsNodePorts(prev) && needsNodePorts(spec)) {
    const now = new Set(nodePortsOf(spec));
    const used = new Set(nodePortsOf(prev).filter((n) => now.has(n)));
    const byName = new Map<string, number>();
    for (const p of portsOf(prev)) byName.set(p.name ?? '', num(p.nodePort));
    for (const p of portsOf(spec)) {
      if (num(p.nodePort) !== 0) continue;
      const was = byName.get(p.name ?? '') ?? 0;
      if (was !== 0 && !used.has(was)) p.nodePort = was;
    }
  }
  if (needsHealthCheck(prev) && needsHealthCheck(spec) && num(spec.healthCheckNodePort) === 0 && num(prev.healthCheckNodePort) !== 0) {
    spec.healthCheckNodePort = prev.healthCheckNodePort;
  }
}

// ------------------------------------------------------------------------------ kubernetes Service

export const LABEL_SKIP_MIRROR = 'endpointslice.kubernetes.io/skip-mirror';
export const LABEL_SERVICE_NAME = 'kubernetes.io/service-name';

export interface KubernetesServiceOptions {
  services: GenericStore;
  endpoints: GenericStore;
  slices: GenericStore;
  allocator: ServiceAllocator;
  /** The address the API server is bound to. */
  host: string;
  /** The port it listens on. */
  port: number;
}

/** The address clients reach a server bound to `host` at: loopback for a wildcard bind. */
export function advertisedAddress(host: string): string {
  const h = host.replace(/^\[(.*)\]$/, '$1');
  if (h === '' || h === '0.0.0.0' || h === '::' || h === 'localhost') return '127.0.0.1';
  return h;
}

async function getOrUndefined(store: GenericStore, ns: string, name: string): Promise<KubeObject | undefined> {
  try {
    return await store.get(ns, name);
  } catch (err) {
    if (isApiError(err) && err.code === 404) return undefined;
    throw err;
  }
}

const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/**
 * Creates or corrects `default/kubernetes` (ClusterIP = the range's first address, port 443
 * `https` to the API server's port) and its Endpoints and EndpointSlice naming the API server,
 * with upstream's labels: the Endpoints skip mirroring, the slice names its Service. Written as
 * the system (the addresses may be loopback, which no user write may name).
 */
export async function ensureKubernetesService(o: KubernetesServiceOptions): Promise<void> {
  const ns = 'default';
  const name = 'kubernetes';
  const ip = o.allocator.firstIP;
  const address = advertisedAddress(o.host);
  const servicePorts: ServicePort[] = [{ name: 'https', port: 443, protocol: 'TCP', targetPort: o.port }];
  const desired: KubeObject = {
    metadata: { name, namespace: ns, labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: { type: 'ClusterIP', clusterIP: ip, clusterIPs: [ip], ports: servicePorts, sessionAffinity: 'None' },
  };
  try {
    let svc = await getOrUndefined(o.services, ns, name);
    const spec = svc ? specOfService(svc) : undefined;
    if (svc && spec && spec.clusterIP !== ip) {
      // The service CIDR changed since: the address is immutable, so the Service is made anew.
      o.allocator.log(`kubernetes Service had ${spec.clusterIP ?? 'no cluster IP'}; re-creating it at ${ip}`);
      await o.services.delete(ns, name);
      svc = undefined;
    }
    if (!svc) await o.services.create(ns, desired);
    else if (spec && (spec.type !== 'ClusterIP' || !sameJson(spec.ports, servicePorts))) {
      await o.services.update(ns, name, (cur) => ({ ...cur, spec: { ...specOfService(cur), type: 'ClusterIP', ports: servicePorts } }));
    }
  } catch (err) {
    // A user's Service holding the first address must not stop the server; upstream logs too.
    if (!isApiError(err)) throw err;
    o.allocator.log(`kubernetes Service not written: ${err.message}`);
  }

  const endpointPorts: EndpointPort[] = [{ name: 'https', port: o.port, protocol: 'TCP' }];
  const endpoints: Endpoints = {
    metadata: { name, namespace: ns, labels: { [LABEL_SKIP_MIRROR]: 'true' } },
    subsets: [{ addresses: [{ ip: address }], ports: endpointPorts }],
  };
  await ensureObject(o.endpoints, ns, name, endpoints as KubeObject, (cur) => sameJson(cur.subsets, endpoints.subsets) && sameJson(cur.metadata?.labels, endpoints.metadata?.labels));

  const slice: EndpointSlice = {
    metadata: { name, namespace: ns, labels: { [LABEL_SERVICE_NAME]: name } },
    addressType: address.includes(':') ? 'IPv6' : 'IPv4',
    endpoints: [{ addresses: [address], conditions: { ready: true } }],
    ports: endpointPorts.map((p) => ({ name: p.name, port: p.port, protocol: p.protocol })),
  };
  await ensureObject(o.slices, ns, name, slice as unknown as KubeObject, (cur) =>
    cur.addressType === slice.addressType && sameJson(cur.endpoints, slice.endpoints) && sameJson(cur.ports, slice.ports) && sameJson(cur.metadata?.labels, slice.metadata?.labels));
}

/** Creates `want`, or replaces its content (metadata other than labels kept) when `same` says it differs. */
async function ensureObject(store: GenericStore, ns: string, name: string, want: KubeObject, same: (cur: KubeObject) => boolean): Promise<void> {
  const cur = await getOrUndefined(store, ns, name);
  if (!cur) {
    await store.create(ns, structuredClone(want), { bypassStrategy: true });
    return;
  }
  if (same(cur)) return;
  await store.update(ns, name, (c) => ({ ...structuredClone(want), metadata: { ...c.metadata, labels: want.metadata?.labels } }), { bypassStrategy: true });
}
