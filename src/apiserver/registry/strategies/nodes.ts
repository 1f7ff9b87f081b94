// Nodes (core/v1, cluster-scoped): allocatable defaults to capacity, taints, capacity and
// allocatable quantities, pod CIDRs, and the fields an update may not change, as Kubernetes 1.32
// validates them. Field selector: spec.unschedulable.

import type { Node, NodeSpec, NodeStatus } from 'kubernetes-types/core/v1.js';
import { type FieldError, type FieldPath, field, fieldPath } from '../../../api/errors.js';
import { isValidCIDR, isValidLabelValue, validateLabelName } from '../../../api/validation.js';
import type { KubeObject, Strategy } from '../strategy.js';
import { validateResourceQuantity, validateTaintEffect } from './pod_template.js';
import { deepEqual, isRecord, objectOr, resourceOf } from './util.js';

function nodeOf(obj: KubeObject): Node {
  return objectOr<Node>(obj, {});
}

function validateTaints(spec: NodeSpec, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Map<string, Set<string>>();
  (spec.taints ?? []).forEach((t, i) => {
    const p = path.index(i);
    errs.push(...validateLabelName(t.key ?? '', p.child('key')));
    const vm = isValidLabelValue(t.value ?? '');
    if (vm.length > 0) errs.push(field.invalid(p.child('value'), t.value ?? '', vm.join(';')));
    errs.push(...validateTaintEffect(t.effect ?? '', false, p.child('effect')));
    const keys = seen.get(t.effect ?? '') ?? new Set<string>();
    if (keys.has(t.key ?? '')) {
      errs.push(Object.assign(field.duplicate(p, t), { detail: 'taints must be unique by key and effect pair' }));
      return;
    }
    keys.add(t.key ?? '');
    seen.set(t.effect ?? '', keys);
  });
  return errs;
}

function validateResources(status: NodeStatus): FieldError[] {
  const errs: FieldError[] = [];
  for (const k of ['capacity', 'allocatable'] as const) {
    for (const [name, v] of Object.entries(status[k] ?? {})) {
      // Upstream joins these as plain children: status.capacity.cpu.
      errs.push(...validateResourceQuantity(name, v, fieldPath('status', k, name)).errs);
    }
  }
  return errs;
}

function validateNode(obj: KubeObject): FieldError[] {
  const n = nodeOf(obj);
  const spec = n.spec ?? {};
  // Upstream hangs taints off the metadata path, so errors read metadata.taints[0].effect.
  const errs = validateTaints(spec, fieldPath('metadata', 'taints'));
  errs.push(...validateResources(n.status ?? {}));
  const cidrs = spec.podCIDRs ?? [];
  const cp = fieldPath('spec', 'podCIDRs');
  cidrs.forEach((c, i) => errs.push(...isValidCIDR(cp.index(i), c)));
  if (cidrs.length > 1) {
    const families = new Set(cidrs.map((c) => (c.includes(':') ? 6 : 4)));
    if (families.size !== cidrs.length || cidrs.length > 2) errs.push(field.invalid(cp, cidrs, 'may specify no more than one CIDR for each IP family'));
  }
  return errs;
}

function validateNodeUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const n = nodeOf(obj);
  const o = nodeOf(old);
  const errs = validateResources(n.status ?? {});
  const seen: unknown[] = [];
  (n.status?.addresses ?? []).forEach((a, i) => {
    if (seen.some((x) => deepEqual(x, a))) errs.push(field.duplicate(fieldPath('status', 'addresses').index(i), a));
    seen.push(a);
  });
  const oldCidrs = o.spec?.podCIDRs ?? [];
  const newCidrs = n.spec?.podCIDRs ?? [];
  if (oldCidrs.length > 0 && !deepEqual(oldCidrs, newCidrs)) {
    errs.push(field.forbidden(fieldPath('spec', 'podCIDRs'), 'node updates may not change podCIDR except from "" to valid'));
  }
  if (o.spec?.providerID && o.spec.providerID !== n.spec?.providerID) {
    errs.push(field.forbidden(fieldPath('spec', 'providerID'), 'node updates may not change providerID except from "" to valid'));
  }
  errs.push(...validateTaints(n.spec ?? {}, fieldPath('metadata', 'taints')));
  if ((n.spec?.externalID ?? '') !== (o.spec?.externalID ?? '')) errs.push(field.forbidden(fieldPath('spec', 'externalID'), 'may not be updated'));
  return errs;
}

export const nodeStrategy: Strategy = {
  resource: resourceOf('', 'v1', 'nodes'),
  hasStatus: true,

  defaults(obj) {
    // SetDefaults_NodeStatus: allocatable is the capacity until the kubelet says otherwise.
    if (!isRecord(obj.status)) return;
    const st = objectOr<NodeStatus>(obj.status, {});
    if (st.allocatable === undefined && st.capacity !== undefined) st.allocatable = { ...st.capacity };
  },

  prepareForUpdate(obj, old) {
    obj.status = structuredClone(old.status);
  },

  validate: (obj) => validateNode(obj),
  validateUpdate: (obj, old) => validateNodeUpdate(obj, old),
  validateStatusUpdate: (obj, old) => validateNodeUpdate(obj, old),

  selectableFields: (obj) => ({ 'spec.unschedulable': String(nodeOf(obj).spec?.unschedulable === true) }),
};
