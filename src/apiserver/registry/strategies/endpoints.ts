// Endpoints (core/v1): every subset needs an address, addresses are valid non-special IPs, and
// ports are named (when several), numbered and of a supported protocol, as Kubernetes 1.32
// validates them. Also ValidateNonSpecialIP, shared with EndpointSlices.

import type { EndpointAddress, EndpointPort, Endpoints } from 'kubernetes-types/core/v1.js';
import { type FieldError, type FieldPath, field, fieldPath } from '../../../api/errors.js';
import { isDns1123Label, isQualifiedName, isValidIP, isValidPortNum, nameIsDnsSubdomain, parseIP } from '../../../api/validation.js';
import type { KubeObject, Strategy } from '../strategy.js';
import { objectOr, resourceOf } from './util.js';

const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];

/**
 * Unspecified and link-local addresses cannot be endpoints. Loopback addresses can, unlike
 * upstream (which refuses them so a proxy is never sent to a node's own localhost): without root,
 * Capstan's pods share the host network of a laptop node whose address is 127.0.0.1, so their
 * endpoints are loopback addresses, and the userspace proxy only forwards to them from that host.
 */
export function validateNonSpecialIP(ip: string, path: FieldPath): FieldError[] {
  const b = parseIP(ip, true);
  if (b === null) return [field.invalid(path, ip, 'must be a valid IP address')];
  const errs: FieldError[] = [];
  const v4 = b.length === 4 ? b : b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff ? b.slice(12) : null;
  if (b.every((x) => x === 0)) errs.push(field.invalid(path, ip, `may not be unspecified (${ip})`));
  const linkLocal = v4 !== null ? v4[0] === 169 && v4[1] === 254 : b[0] === 0xfe && (b[1]! & 0xc0) === 0x80;
  if (linkLocal) errs.push(field.invalid(path, ip, 'may not be in the link-local range (169.254.0.0/16, fe80::/10)'));
  const llMulticast = v4 !== null ? v4[0] === 224 && v4[1] === 0 && v4[2] === 0 : b[0] === 0xff && (b[1]! & 0x0f) === 0x02;
  if (llMulticast) errs.push(field.invalid(path, ip, 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)'));
  return errs;
}

function validateAddress(a: EndpointAddress, path: FieldPath): FieldError[] {
  const errs = isValidIP(path.child('ip'), a.ip ?? '');
  if (a.hostname) errs.push(...isDns1123Label(a.hostname).map((m) => field.invalid(path.child('hostname'), a.hostname, m)));
  if (a.nodeName !== undefined && a.nodeName !== null) {
    errs.push(...nameIsDnsSubdomain(a.nodeName, false).map((m) => field.invalid(path.child('nodeName'), a.nodeName, m)));
  }
  errs.push(...validateNonSpecialIP(a.ip ?? '', path.child('ip')));
  return errs;
}

function validatePort(p: EndpointPort, requireName: boolean, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const name = p.name ?? '';
  if (requireName && name === '') errs.push(field.required(path.child('name'), ''));
  else if (name !== '') errs.push(...isDns1123Label(name).map((m) => field.invalid(path.child('name'), name, m)));
  errs.push(...isValidPortNum(p.port ?? 0).map((m) => field.invalid(path.child('port'), p.port ?? 0, m)));
  const proto = p.protocol ?? '';
  if (proto === '') errs.push(field.required(path.child('protocol'), ''));
  else if (!PROTOCOLS.includes(proto)) errs.push(field.notSupported(path.child('protocol'), proto, PROTOCOLS));
  if (p.appProtocol !== undefined && p.appProtocol !== null) {
    errs.push(...isQualifiedName(p.appProtocol).map((m) => field.invalid(path.child('appProtocol'), p.appProtocol, m)));
  }
  return errs;
}

function validateEndpoints(obj: KubeObject): FieldError[] {
  const e = objectOr<Endpoints>(obj, {});
  const errs: FieldError[] = [];
  (e.subsets ?? []).forEach((ss, i) => {
    const p = fieldPath('subsets').index(i);
    if ((ss.addresses ?? []).length === 0 && (ss.notReadyAddresses ?? []).length === 0) {
      errs.push(field.required(p, 'must specify `addresses` or `notReadyAddresses`'));
    }
    (ss.addresses ?? []).forEach((a, j) => errs.push(...validateAddress(a, p.child('addresses').index(j))));
    (ss.notReadyAddresses ?? []).forEach((a, j) => errs.push(...validateAddress(a, p.child('notReadyAddresses').index(j))));
    const ports = ss.ports ?? [];
    ports.forEach((port, j) => errs.push(...validatePort(port, ports.length > 1, p.child('ports').index(j))));
  });
  return errs;
}

export const endpointsStrategy: Strategy = {
  resource: resourceOf('', 'v1', 'endpoints'),
  defaults(obj) {
    for (const ss of objectOr<Endpoints>(obj, {}).subsets ?? []) for (const p of ss.ports ?? []) if (!p.protocol) p.protocol = 'TCP';
  },
  validate: (obj) => validateEndpoints(obj),
  validateUpdate: (obj) => validateEndpoints(obj),
};
