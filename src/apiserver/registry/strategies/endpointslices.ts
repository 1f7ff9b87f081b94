// EndpointSlices (discovery.k8s.io/v1): a supported, immutable addressType, at most 1000
// endpoints of 1 to 100 addresses each that match the type, and at most 20000 valid ports, as
// Kubernetes 1.32 validates them.

import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { type FieldError, field, fieldPath } from '../../../api/errors.js';
import { isDns1123Label, isDns1123Subdomain, isQualifiedName, isValidIP, isValidPortNum, validateImmutableField, validateLabels } from '../../../api/validation.js';
import type { KubeObject, Strategy } from '../strategy.js';
import { validateNonSpecialIP } from './endpoints.js';
import { objectOr, resourceOf } from './util.js';

const ADDRESS_TYPES = ['FQDN', 'IPv4', 'IPv6'];
const MAX_ENDPOINTS = 1000;
const MAX_ADDRESSES = 100;
const MAX_PORTS = 20000;
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];

function sliceOf(obj: KubeObject): EndpointSlice {
  return objectOr<EndpointSlice>(obj, { addressType: '', endpoints: [] });
}

function validateSlice(obj: KubeObject): FieldError[] {
  const s = sliceOf(obj);
  const errs: FieldError[] = [];
  const type = s.addressType ?? '';
  const typeOk = ADDRESS_TYPES.includes(type);
  if (type === '') errs.push(field.required(fieldPath('addressType'), ''));
  else if (!typeOk) errs.push(field.notSupported(fieldPath('addressType'), type, ADDRESS_TYPES));
  const eps = s.endpoints ?? [];
  const ep = fieldPath('endpoints');
  if (eps.length > MAX_ENDPOINTS) errs.push(field.tooMany(ep, eps.length, MAX_ENDPOINTS));
  eps.forEach((e, i) => {
    const p = ep.index(i);
    const addrs = e.addresses ?? [];
    const ap = p.child('addresses');
    if (addrs.length === 0) errs.push(field.required(ap, 'must contain at least 1 address'));
    else if (addrs.length > MAX_ADDRESSES) errs.push(field.tooMany(ap, addrs.length, MAX_ADDRESSES));
    addrs.forEach((a, j) => {
      const aj = ap.index(j);
      if (type === 'IPv4' || type === 'IPv6') {
        const ipErrs = isValidIP(aj, a);
        if (ipErrs.length === 0 && (a.includes(':') ? 'IPv6' : 'IPv4') !== type) errs.push(field.invalid(aj, a, `must be an ${type} address`));
        errs.push(...ipErrs);
        if (ipErrs.length === 0) errs.push(...validateNonSpecialIP(a, aj));
      } else if (type === 'FQDN') {
        errs.push(...isDns1123Subdomain(a).map((m) => field.invalid(aj, a, m)));
      }
    });
    if (e.nodeName) errs.push(...isDns1123Subdomain(e.nodeName).map((m) => field.invalid(p.child('nodeName'), e.nodeName, m)));
    if (e.hostname) errs.push(...isDns1123Label(e.hostname).map((m) => field.invalid(p.child('hostname'), e.hostname, m)));
    if (e.deprecatedTopology) errs.push(...validateLabels(e.deprecatedTopology, p.child('deprecatedTopology')));
  });
  const ports = s.ports ?? [];
  const pp = fieldPath('ports');
  if (ports.length > MAX_PORTS) errs.push(field.tooMany(pp, ports.length, MAX_PORTS));
  const names = new Set<string>();
  ports.forEach((port, i) => {
    const p = pp.index(i);
    const name = port.name ?? '';
    if (name !== '') errs.push(...isDns1123Label(name).map((m) => field.invalid(p.child('name'), name, m)));
    if (names.has(name)) errs.push(field.duplicate(p.child('name'), name));
    names.add(name);
    const proto = port.protocol ?? '';
    if (proto === '') errs.push(field.required(p.child('protocol'), ''));
    else if (!PROTOCOLS.includes(proto)) errs.push(field.notSupported(p.child('protocol'), proto, PROTOCOLS));
    if (port.port !== undefined && port.port !== null) errs.push(...isValidPortNum(port.port).map((m) => field.invalid(p.child('port'), port.port, m)));
    if (port.appProtocol) errs.push(...isQualifiedName(port.appProtocol).map((m) => field.invalid(p.child('appProtocol'), port.appProtocol, m)));
  });
  return errs;
}

export const endpointSliceStrategy: Strategy = {
  resource: resourceOf('discovery.k8s.io', 'v1', 'endpointslices'),
  hasGeneration: true,
  defaults(obj) {
    for (const p of sliceOf(obj).ports ?? []) if (!p.protocol) p.protocol = 'TCP';
  },
  validate: (obj) => validateSlice(obj),
  validateUpdate(obj, old) {
    const errs = validateImmutableField(sliceOf(obj).addressType ?? '', sliceOf(old).addressType ?? '', fieldPath('addressType'));
    return [...validateSlice(obj), ...errs];
  },
};
