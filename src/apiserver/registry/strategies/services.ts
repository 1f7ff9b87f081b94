// Services (core/v1): defaults (type ClusterIP, sessionAffinity None, ports TCP with targetPort =
// port, traffic policies), the IP family fields on create, and ValidateService's checks on ports,
// selector, type, session affinity and load-balancer fields, with 1.32's messages. ClusterIP and
// NodePort allocation belong to ../service_alloc.ts, not here. Field selectors: spec.clusterIP, spec.type.

import type { Service, ServicePort, ServiceSpec } from 'kubernetes-types/core/v1.js';
import { FieldError, type FieldPath, field, fieldPath, goQuote } from '../../../api/errors.js';
import {
  isDns1123Label, isDns1123Subdomain, isQualifiedName, isValidCIDR, isValidIP, isValidPortName, isValidPortNum,
  validateLabels,
} from '../../../api/validation.js';
import type { KubeObject, Strategy } from '../strategy.js';
import { GoValue, invalidGo, isRecord, objectOr, resourceOf, specOf } from './util.js';

const TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const AFFINITIES = ['ClientIP', 'None'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const TRAFFIC_POLICIES = ['Cluster', 'Local'];
const FAMILY_POLICIES = ['PreferDualStack', 'RequireDualStack', 'SingleStack'];
const MAX_AFFINITY_SECONDS = 86400;

function svcSpec(obj: KubeObject): ServiceSpec {
  return objectOr<ServiceSpec>(specOf(obj), {});
}

function isHeadless(spec: ServiceSpec): boolean {
  return spec.clusterIP === 'None' || (spec.clusterIPs ?? [])[0] === 'None';
}

function externallyAccessible(spec: ServiceSpec): boolean {
  return spec.type === 'LoadBalancer' || spec.type === 'NodePort' || (spec.type === 'ClusterIP' && (spec.externalIPs ?? []).length > 0);
}

function goStrings(xs: readonly string[]): GoValue {
  return new GoValue(`[]string{${xs.map(goQuote).join(', ')}}`);
}

function validateServicePort(sp: ServicePort, requireName: boolean, names: Set<string>, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const name = sp.name ?? '';
  if (requireName && name.length === 0) errs.push(field.required(path.child('name'), ''));
  else if (name.length > 0) {
    errs.push(...isDns1123Label(name).map((m) => field.invalid(path.child('name'), name, m)));
    if (names.has(name)) errs.push(field.duplicate(path.child('name'), name));
    else names.add(name);
  }
  const port = sp.port ?? 0;
  errs.push(...isValidPortNum(port).map((m) => field.invalid(path.child('port'), port, m)));
  const proto = sp.protocol ?? '';
  if (proto === '') errs.push(field.required(path.child('protocol'), ''));
  else if (!PROTOCOLS.includes(proto)) errs.push(field.notSupported(path.child('protocol'), proto, PROTOCOLS));
  const tp = sp.targetPort;
  if (typeof tp === 'number') errs.push(...isValidPortNum(tp).map((m) => field.invalid(path.child('targetPort'), tp, m)));
  else if (typeof tp === 'string') errs.push(...isValidPortName(tp).map((m) => field.invalid(path.child('targetPort'), tp, m)));
  if (sp.appProtocol !== undefined && sp.appProtocol !== null) {
    errs.push(...isQualifiedName(sp.appProtocol).map((m) => field.invalid(path.child('appProtocol'), sp.appProtocol, m)));
  }
  return errs;
}

function validateService(obj: KubeObject): FieldError[] {
  const spec = svcSpec(obj);
  const sp = fieldPath('spec');
  const errs: FieldError[] = [];
  const ports = spec.ports ?? [];
  const type = spec.type ?? '';
  if (ports.length === 0 && !isHeadless(spec) && type !== 'ExternalName') errs.push(field.required(sp.child('ports'), ''));
  switch (type) {
    case 'LoadBalancer':
    case 'NodePort':
      if (isHeadless(spec)) errs.push(field.invalid(sp.child('clusterIPs').index(0), spec.clusterIPs?.[0] ?? spec.clusterIP ?? '', `may not be set to 'None' for ${type} services`));
      break;
    case 'ExternalName': {
      if ((spec.clusterIPs ?? []).length > 0) errs.push(field.forbidden(sp.child('clusterIPs'), 'may not be set for ExternalName services'));
      if ((spec.ipFamilies ?? []).length > 0) errs.push(field.forbidden(sp.child('ipFamilies'), 'may not be set for ExternalName services'));
      if (spec.ipFamilyPolicy !== undefined && spec.ipFamilyPolicy !== null) errs.push(field.forbidden(sp.child('ipFamilyPolicy'), 'may not be set for ExternalName services'));
      const cname = (spec.externalName ?? '').replace(/\.$/, '');
      if (cname.length > 0) errs.push(...isDns1123Subdomain(cname).map((m) => field.invalid(sp.child('externalName'), cname, m)));
      else errs.push(field.required(sp.child('externalName'), ''));
      break;
    }
  }
  const names = new Set<string>();
  ports.forEach((p, i) => errs.push(...validateServicePort(p, ports.length > 1, names, sp.child('ports').index(i))));
  if (spec.selector !== undefined && spec.selector !== null) errs.push(...validateLabels(spec.selector, sp.child('selector')));
  const aff = spec.sessionAffinity ?? '';
  if (aff === '') errs.push(field.required(sp.child('sessionAffinity'), ''));
  else if (!AFFINITIES.includes(aff)) errs.push(field.notSupported(sp.child('sessionAffinity'), aff, AFFINITIES));
  const cfgPath = sp.child('sessionAffinityConfig');
  if (aff === 'ClientIP') {
    const when = 'when session affinity type is ClientIP';
    const t = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds;
    if (!isRecord(spec.sessionAffinityConfig)) errs.push(field.required(cfgPath, when));
    else if (!isRecord(spec.sessionAffinityConfig.clientIP)) errs.push(field.required(cfgPath.child('clientIP'), when));
    else if (t === undefined || t === null) errs.push(field.required(cfgPath.child('clientIP', 'timeoutSeconds'), when));
    else if (t <= 0 || t > MAX_AFFINITY_SECONDS) errs.push(field.invalid(cfgPath.child('clientIP', 'timeoutSeconds'), t, `must be greater than 0 and less than ${MAX_AFFINITY_SECONDS}`));
  } else if (aff === 'None' && spec.sessionAffinityConfig !== undefined && spec.sessionAffinityConfig !== null) {
    errs.push(field.forbidden(cfgPath, 'must not be set when session affinity is None'));
  }
  // Cluster IPs and families (the parts that do not depend on the allocator).
  const ips = spec.clusterIPs ?? [];
  if (spec.clusterIP && ips.length > 0 && ips[0] !== spec.clusterIP) {
    errs.push(field.invalid(sp.child('clusterIPs'), ips, 'first value must match `clusterIP`'));
  }
  ips.forEach((ip, i) => {
    if (ip === 'None' || ip === '') {
      if (ip === 'None' && (i !== 0 || ips.length > 1)) errs.push(field.invalid(sp.child('clusterIPs').index(i), ip, "must be empty when the first value is 'None'"));
      return;
    }
    errs.push(...isValidIP(sp.child('clusterIPs').index(i), ip));
  });
  const fp = spec.ipFamilyPolicy;
  if (fp !== undefined && fp !== null && !FAMILY_POLICIES.includes(fp)) errs.push(field.notSupported(sp.child('ipFamilyPolicy'), fp, FAMILY_POLICIES));
  (spec.ipFamilies ?? []).forEach((f, i) => {
    if (f !== 'IPv4' && f !== 'IPv6') errs.push(field.notSupported(sp.child('ipFamilies').index(i), f, ['IPv4', 'IPv6']));
  });
  (spec.externalIPs ?? []).forEach((ip, i) => errs.push(...isValidIP(sp.child('externalIPs').index(i), ip)));
  if (type === '') errs.push(field.required(sp.child('type'), ''));
  else if (!TYPES.includes(type)) errs.push(field.notSupported(sp.child('type'), type, TYPES));
  if (type === 'ClusterIP') {
    ports.forEach((p, i) => {
      if (p.nodePort) errs.push(field.forbidden(sp.child('ports').index(i).child('nodePort'), "may not be used when `type` is 'ClusterIP'"));
    });
  }
  const nodePorts = new Set<string>();
  ports.forEach((p, i) => {
    if (!p.nodePort) return;
    const key = `${p.protocol ?? ''}/${p.nodePort}`;
    if (nodePorts.has(key)) errs.push(field.duplicate(sp.child('ports').index(i).child('nodePort'), p.nodePort));
    nodePorts.add(key);
  });
  const seen = new Set<string>();
  ports.forEach((p, i) => {
    const key = `${p.protocol ?? ''}/${p.port ?? 0}`;
    // Upstream prints the duplicate as a Go struct of the (protocol, port) pair.
    if (seen.has(key)) errs.push(new GoDuplicatePort(sp.child('ports').index(i).toString(), p.protocol ?? '', p.port ?? 0));
    seen.add(key);
  });
  const ranges = spec.loadBalancerSourceRanges ?? [];
  if (ranges.length > 0) {
    const rp = sp.child('LoadBalancerSourceRanges');
    if (type !== 'LoadBalancer') errs.push(field.forbidden(rp, "may only be used when `type` is 'LoadBalancer'"));
    ranges.forEach((r, i) => errs.push(...isValidCIDR(rp.index(i), r.trim())));
  }
  if (spec.allocateLoadBalancerNodePorts !== undefined && spec.allocateLoadBalancerNodePorts !== null && type !== 'LoadBalancer') {
    errs.push(field.forbidden(sp.child('allocateLoadBalancerNodePorts'), "may only be used when `type` is 'LoadBalancer'"));
  }
  if (type === 'LoadBalancer' && (spec.allocateLoadBalancerNodePorts === undefined || spec.allocateLoadBalancerNodePorts === null)) {
    errs.push(field.required(fieldPath('allocateLoadBalancerNodePorts'), ''));
  }
  const etp = spec.externalTrafficPolicy ?? '';
  if (!externallyAccessible(spec)) {
    if (etp !== '') errs.push(field.invalid(sp.child('externalTrafficPolicy'), etp, 'may only be set for externally-accessible services'));
  } else if (etp === '') errs.push(field.required(sp.child('externalTrafficPolicy'), ''));
  else if (!TRAFFIC_POLICIES.includes(etp)) errs.push(field.notSupported(sp.child('externalTrafficPolicy'), etp, TRAFFIC_POLICIES));
  const hc = spec.healthCheckNodePort ?? 0;
  const needsHc = type === 'LoadBalancer' && etp === 'Local';
  if (!needsHc && hc !== 0) {
    errs.push(field.invalid(sp.child('healthCheckNodePort'), hc, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"));
  }
  const itp = spec.internalTrafficPolicy;
  if (itp === undefined || itp === null) {
    if (type === 'NodePort' || type === 'LoadBalancer' || type === 'ClusterIP') errs.push(field.required(sp.child('internalTrafficPolicy'), ''));
  } else if (!TRAFFIC_POLICIES.includes(itp)) errs.push(field.notSupported(sp.child('internalTrafficPolicy'), itp, TRAFFIC_POLICIES));
  const td = spec.trafficDistribution;
  if (td !== undefined && td !== null && td !== 'PreferClose') errs.push(field.notSupported(sp.child('trafficDistribution'), td, ['PreferClose']));
  return errs;
}

/** Duplicate ports print as Go prints a core.ServicePort holding only the protocol and port. */
class GoDuplicatePort extends FieldError {
  constructor(path: string, private readonly protocol: string, private readonly port: number) {
    super('FieldValueDuplicate', path, `${protocol}/${port}`, '');
  }
  override body(): string {
    return `Duplicate value: core.ServicePort{Name:"", Protocol:${goQuote(this.protocol)}, AppProtocol:(*string)(nil), Port:${this.port}, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}`;
  }
}

function validateServiceUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = svcSpec(obj);
  const prev = svcSpec(old);
  // Cluster IPs may be added or dropped as secondary, never changed, except to or from ExternalName.
  if (prev.type !== 'ExternalName' && spec.type !== 'ExternalName') {
    const oldIPs = prev.clusterIPs ?? (prev.clusterIP ? [prev.clusterIP] : []);
    const newIPs = spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : []);
    if (oldIPs.length > 0 && (newIPs.length === 0 || newIPs[0] !== oldIPs[0])) {
      errs.push(invalidGo(fieldPath('spec', 'clusterIPs').index(0), goStrings(newIPs), 'may not change once set'));
    }
  }
  return [...errs, ...validateService(obj)];
}

const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
const needsNodePorts = (s: ServiceSpec): boolean => s.type === 'NodePort' || s.type === 'LoadBalancer';
const needsHealthCheckPort = (s: ServiceSpec): boolean => s.type === 'LoadBalancer' && s.externalTrafficPolicy === 'Local';

/**
 * Upstream's dropTypeDependentFields: on a type change, fields the old type needed are wiped when
 * the update left them as they were (the allocator releases their values), so that a patch of
 * `type` alone is valid: NodePort -> ClusterIP drops the node ports, -> ExternalName the cluster IPs.
 */
function dropTypeDependentFields(obj: KubeObject, old: KubeObject): void {
  const spec = svcSpec(obj);
  const prev = svcSpec(old);
  if (prev.type !== 'ExternalName' && spec.type === 'ExternalName') {
    if (sameJson(spec.clusterIPs, prev.clusterIPs)) {
      delete spec.clusterIP;
      delete spec.clusterIPs;
    }
    if (sameJson(spec.ipFamilies, prev.ipFamilies)) delete spec.ipFamilies;
    if (spec.ipFamilyPolicy === prev.ipFamilyPolicy) delete spec.ipFamilyPolicy;
  }
  const ports = spec.ports ?? [];
  const prevPorts = prev.ports ?? [];
  const sameNodePorts = ports.length === prevPorts.length && ports.every((p, i) => (p.nodePort ?? 0) === (prevPorts[i]?.nodePort ?? 0));
  if (needsNodePorts(prev) && !needsNodePorts(spec) && sameNodePorts) for (const p of ports) delete p.nodePort;
  if (needsHealthCheckPort(prev) && !needsHealthCheckPort(spec) && (spec.healthCheckNodePort ?? 0) === (prev.healthCheckNodePort ?? 0)) {
    delete spec.healthCheckNodePort;
  }
  if (prev.type === 'LoadBalancer' && spec.type !== 'LoadBalancer') {
    if (spec.allocateLoadBalancerNodePorts !== undefined && spec.allocateLoadBalancerNodePorts === prev.allocateLoadBalancerNodePorts) {
      delete spec.allocateLoadBalancerNodePorts;
    }
    if (spec.loadBalancerClass === prev.loadBalancerClass) delete spec.loadBalancerClass;
  }
  if (externallyAccessible(prev) && !externallyAccessible(spec) && spec.externalTrafficPolicy === prev.externalTrafficPolicy) {
    delete spec.externalTrafficPolicy;
  }
  // The load balancer's status goes with the type (its teardown is the controller's business).
  if (spec.type !== 'LoadBalancer' && isRecord(obj.status)) obj.status.loadBalancer = {};
}

export const serviceStrategy: Strategy = {
  resource: resourceOf('', 'v1', 'services'),
  hasStatus: true,

  defaults(obj) {
    const spec = svcSpec(obj);
    if (!spec.sessionAffinity) spec.sessionAffinity = 'None';
    if (!spec.type) spec.type = 'ClusterIP';
    for (const p of spec.ports ?? []) {
      if (!isRecord(p)) continue;
      if (!p.protocol) p.protocol = 'TCP';
      if (p.targetPort === undefined || p.targetPort === null || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port;
    }
    if ((spec.type === 'NodePort' || spec.type === 'LoadBalancer') && !spec.externalTrafficPolicy) spec.externalTrafficPolicy = 'Cluster';
    if ((spec.internalTrafficPolicy === undefined || spec.internalTrafficPolicy === null)
      && (spec.type === 'NodePort' || spec.type === 'LoadBalancer' || spec.type === 'ClusterIP')) spec.internalTrafficPolicy = 'Cluster';
    if (spec.type === 'LoadBalancer' && (spec.allocateLoadBalancerNodePorts === undefined || spec.allocateLoadBalancerNodePorts === null)) {
      spec.allocateLoadBalancerNodePorts = true;
    }
    if (spec.sessionAffinity === 'ClientIP') {
      const cfg = isRecord(spec.sessionAffinityConfig) ? spec.sessionAffinityConfig : (spec.sessionAffinityConfig = {});
      const cip = isRecord(cfg.clientIP) ? cfg.clientIP : (cfg.clientIP = {});
      if (cip.timeoutSeconds === undefined || cip.timeoutSeconds === null) cip.timeoutSeconds = 10800;
    }
  },

  prepareForCreate(obj) {
    const spec = svcSpec(obj);
    obj.status = { loadBalancer: {} };
    if (spec.clusterIP && !spec.clusterIPs) spec.clusterIPs = [spec.clusterIP];
    // Single-stack IPv4 until the allocator learns dual stack (upstream picks these in the REST layer).
    if (spec.type !== 'ExternalName') {
      if (!spec.ipFamilyPolicy) spec.ipFamilyPolicy = 'SingleStack';
      if (!spec.ipFamilies || spec.ipFamilies.length === 0) spec.ipFamilies = ['IPv4'];
    }
  },

  prepareForUpdate(obj, old) {
    obj.status = structuredClone(old.status);
    const spec = svcSpec(obj);
    const prev = svcSpec(old);
    // Fields the allocator owns carry over when an update leaves them out.
    if (spec.type !== 'ExternalName' && prev.type !== 'ExternalName') {
      if (spec.clusterIP === undefined && prev.clusterIP !== undefined) spec.clusterIP = prev.clusterIP;
      if (spec.clusterIPs === undefined && prev.clusterIPs !== undefined) spec.clusterIPs = [...prev.clusterIPs];
      if (spec.ipFamilies === undefined && prev.ipFamilies !== undefined) spec.ipFamilies = [...prev.ipFamilies];
      if (spec.ipFamilyPolicy === undefined && prev.ipFamilyPolicy !== undefined) spec.ipFamilyPolicy = prev.ipFamilyPolicy;
    }
    dropTypeDependentFields(obj, old);
  },

  validate: (obj) => validateService(obj),
  validateUpdate: (obj, old) => validateServiceUpdate(obj, old),
  validateStatusUpdate(obj) {
    const spec = svcSpec(obj);
    const ingress = objectOr<Service>(obj, {}).status?.loadBalancer?.ingress ?? [];
    const p = fieldPath('status', 'loadBalancer', 'ingress');
    if (spec.type !== 'LoadBalancer' && ingress.length > 0) return [field.forbidden(p, "may only be used when `spec.type` is 'LoadBalancer'")];
    const errs: FieldError[] = [];
    ingress.forEach((ing, i) => {
      if (ing.ip) errs.push(...isValidIP(p.index(i).child('ip'), ing.ip));
      if (ing.hostname) errs.push(...isDns1123Subdomain(ing.hostname).map((m) => field.invalid(p.index(i).child('hostname'), ing.hostname, m)));
    });
    return errs;
  },

  selectableFields(obj) {
    const spec = objectOr<ServiceSpec>(obj.spec, {});
    return { 'spec.clusterIP': spec.clusterIP ?? '', 'spec.type': spec.type ?? '' };
  },
};
