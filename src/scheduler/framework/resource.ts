// Resource: the parsed resource amounts the scheduler adds and compares on every cycle (a
// pod's requests, a node's allocatable and the sum requested on it). Quantities are parsed
// once, when a PodInfo or NodeInfo is built, never in the filter/score loops.
//
// cpu is in millicores; memory, ephemeral-storage and scalar resources (hugepages-*,
// extended resources such as nvidia.com/gpu) in their base unit, as JS numbers (exact up to
// 2^53, i.e. 8 PiB of memory).

import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { Quantity } from '../../api/quantity.js';

export const RESOURCE_CPU = 'cpu';
export const RESOURCE_MEMORY = 'memory';
export const RESOURCE_EPHEMERAL_STORAGE = 'ephemeral-storage';
export const RESOURCE_PODS = 'pods';

/** Requests assumed for a container that asks for no cpu or memory, when scoring (upstream). */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

export class Resource {
  milliCPU = 0;
  memory = 0;
  ephemeralStorage = 0;
  allowedPodNumber = 0;
  /** hugepages-*, extended resources; undefined until one is set (most pods have none). */
  scalar: Map<string, number> | undefined;

  clone(): Resource {
    const r = new Resource();
    r.milliCPU = this.milliCPU;
    r.memory = this.memory;
    r.ephemeralStorage = this.ephemeralStorage;
    r.allowedPodNumber = this.allowedPodNumber;
    if (this.scalar !== undefined) r.scalar = new Map(this.scalar);
    return r;
  }

  getScalar(name: string): number {
    return this.scalar === undefined ? 0 : this.scalar.get(name) ?? 0;
  }

  setScalar(name: string, v: number): void {
    (this.scalar ??= new Map()).set(name, v);
  }

  /** The amount of a named resource (cpu in millicores). */
  get(name: string): number {
    switch (name) {
      case RESOURCE_CPU: return this.milliCPU;
      case RESOURCE_MEMORY: return this.memory;
      case RESOURCE_EPHEMERAL_STORAGE: return this.ephemeralStorage;
      case RESOURCE_PODS: return this.allowedPodNumber;
      default: return this.getScalar(name);
    }
  }

  /** Sets a named resource from a Quantity (cpu in millicores). */
  setQuantity(name: string, q: Quantity): void {
    switch (name) {
      case RESOURCE_CPU: this.milliCPU = q.milliValue(); break;
      case RESOURCE_MEMORY: this.memory = q.value(); break;
      case RESOURCE_EPHEMERAL_STORAGE: this.ephemeralStorage = q.value(); break;
      case RESOURCE_PODS: this.allowedPodNumber = q.value(); break;
      default: if (isScalarResourceName(name)) this.setScalar(name, q.value());
    }
  }

  add(o: Resource): void {
    this.milliCPU += o.milliCPU;
    this.memory += o.memory;
    this.ephemeralStorage += o.ephemeralStorage;
    this.allowedPodNumber += o.allowedPodNumber;
    if (o.scalar !== undefined) for (const [k, v] of o.scalar) this.setScalar(k, this.getScalar(k) + v);
  }

  sub(o: Resource): void {
    this.milliCPU -= o.milliCPU;
    this.memory -= o.memory;
    this.ephemeralStorage -= o.ephemeralStorage;
    this.allowedPodNumber -= o.allowedPodNumber;
    if (o.scalar !== undefined) for (const [k, v] of o.scalar) this.setScalar(k, this.getScalar(k) - v);
  }

  /** Per resource maximum (the init-container rule). */
  setMax(o: Resource): void {
    if (o.milliCPU > this.milliCPU) this.milliCPU = o.milliCPU;
    if (o.memory > this.memory) this.memory = o.memory;
    if (o.ephemeralStorage > this.ephemeralStorage) this.ephemeralStorage = o.ephemeralStorage;
    if (o.allowedPodNumber > this.allowedPodNumber) this.allowedPodNumber = o.allowedPodNumber;
    if (o.scalar !== undefined) {
      for (const [k, v] of o.scalar) if (v > this.getScalar(k)) this.setScalar(k, v);
    }
  }

  isZero(): boolean {
    if (this.milliCPU !== 0 || this.memory !== 0 || this.ephemeralStorage !== 0) return false;
    if (this.scalar !== undefined) for (const v of this.scalar.values()) if (v !== 0) return false;
    return true;
  }
}

/** hugepages-*, attachable-volumes-*, and extended resources (a domain-qualified name). */
export function isScalarResourceName(name: string): boolean {
  if (name.startsWith('hugepages-') || name.startsWith('attachable-volumes-')) return true;
  const slash = name.indexOf('/');
  if (slash < 0) return false;
  // kubernetes.io/ names other than requests.* are native, not extended.
  const prefix = name.slice(0, slash);
  return !(prefix === 'kubernetes.io' || prefix.endsWith('.kubernetes.io'));
}

/** Parses a resource list (requests, allocatable); throws QuantityError on a malformed value. */
export function resourceFromList(list: Record<string, unknown> | undefined): Resource {
  const r = new Resource();
  if (list === undefined) return r;
  for (const name of Object.keys(list)) {
    const raw = list[name];
    const q = raw instanceof Quantity ? raw : Quantity.parse(String(raw));
    r.setQuantity(name, q);
  }
  return r;
}

interface PodRequests {
  requests: Resource;
  /** cpu and memory with the per-container defaults for unset requests (scoring only). */
  nonZeroMilliCPU: number;
  nonZeroMemory: number;
}

function containerRequests(c: Container): [Resource, number, number] {
  const req = c.resources?.requests as Record<string, unknown> | undefined;
  const r = resourceFromList(req);
  const nzCpu = req !== undefined && req[RESOURCE_CPU] !== undefined ? r.milliCPU : DEFAULT_MILLI_CPU_REQUEST;
  const nzMem = req !== undefined && req[RESOURCE_MEMORY] !== undefined ? r.memory : DEFAULT_MEMORY_REQUEST;
  return [r, nzCpu, nzMem];
}

/**
 * A pod's effective requests as upstream computes them: the sum over containers; sidecars
 * (init containers with restartPolicy Always) add to the sum; each ordinary init container
 * needs its own request plus the sidecars started before it, and the pod needs the maximum of
 * that and the sum; then the pod overhead is added.
 */
export function computePodRequests(pod: Pod): PodRequests {
  const spec = pod.spec;
  const requests = new Resource();
  let nzCpu = 0;
  let nzMem = 0;
  const containers = spec?.containers ?? [];
  for (let i = 0; i < containers.length; i++) {
    const [r, c, m] = containerRequests(containers[i]!);
    requests.add(r);
    nzCpu += c;
    nzMem += m;
  }
  const inits = spec?.initContainers;
  if (inits !== undefined && inits.length > 0) {
    const sidecars = new Resource();
    let sidecarCpu = 0;
    let sidecarMem = 0;
    const initMax = new Resource();
    let initMaxCpu = 0;
    let initMaxMem = 0;
    for (const ic of inits) {
      const [r, c, m] = containerRequests(ic);
      let need: Resource;
      let needCpu: number;
      let needMem: number;
      if (ic.restartPolicy === 'Always') {
        requests.add(r);
        nzCpu += c;
        nzMem += m;
        sidecars.add(r);
        sidecarCpu += c;
        sidecarMem += m;
        need = sidecars;
        needCpu = sidecarCpu;
        needMem = sidecarMem;
      } else {
        need = r.clone();
        need.add(sidecars);
        needCpu = c + sidecarCpu;
        needMem = m + sidecarMem;
      }
      initMax.setMax(need);
      if (needCpu > initMaxCpu) initMaxCpu = needCpu;
      if (needMem > initMaxMem) initMaxMem = needMem;
    }
    requests.setMax(initMax);
    if (initMaxCpu > nzCpu) nzCpu = initMaxCpu;
    if (initMaxMem > nzMem) nzMem = initMaxMem;
  }
  const overhead = spec?.overhead as Record<string, unknown> | undefined;
  if (overhead !== undefined) {
    const o = resourceFromList(overhead);
    requests.add(o);
    nzCpu += o.milliCPU;
    nzMem += o.memory;
  }
  return { requests, nonZeroMilliCPU: nzCpu, nonZeroMemory: nzMem };
}
