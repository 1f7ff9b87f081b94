// The Pod strategy (core/v1 pods), as Kubernetes 1.32's pkg/registry/core/pod does it:
// defaults (pod_template.ts plus the pod-only ones), status on create (phase Pending, QoS class,
// the SchedulingGated condition), validation on create, the narrow set of spec changes an update
// may make, status updates, field selectors and graceful deletion.
//
// Pods have a status subresource and no metadata.generation in 1.32 (pod generation arrived in
// 1.33 behind PodObservedGenerationTracking).

import type { Container, Pod, PodSpec, PodStatus, Toleration } from 'kubernetes-types/core/v1.js';
import { type FieldError, type FieldPath, field, fieldPath, goJson } from '../../../api/errors.js';
import { isQualifiedName, isValidIP, nameIsDnsSubdomain, validateImmutableField } from '../../../api/validation.js';
import type { KubeObject, Strategy } from '../strategy.js';
import type { Quantity } from '../../../api/quantity.js';
import { defaultPodOnlyFields, defaultPodSpec, parseResourceQuantity, validatePodSpec, validateTolerations } from './pod_template.js';
import { deepEqual, isRecord, objectOr, resourceOf, specOf } from './util.js';

function podSpec(obj: KubeObject): PodSpec {
  return objectOr<PodSpec>(specOf(obj), { containers: [] });
}

function podStatus(obj: KubeObject): PodStatus {
  return objectOr<PodStatus>(obj.status, {});
}

/** True for a decoded object whose spec and status, when present, are objects. */
export function isPodLike(obj: KubeObject): obj is KubeObject & Pod {
  return (obj.spec === undefined || isRecord(obj.spec)) && (obj.status === undefined || isRecord(obj.status));
}

// ---------------------------------------------------------------------------------------------
// QoS class (upstream qos.ComputePodQOS, without pod-level resources)

function qosResources(list: Record<string, unknown> | undefined, into: Map<string, Quantity>): Set<string> {
  const found = new Set<string>();
  for (const [name, raw] of Object.entries(list ?? {})) {
    if (name !== 'cpu' && name !== 'memory') continue;
    const q = parseResourceQuantity(raw);
    if (q === null || q.isZero()) continue;
    found.add(name);
    const prev = into.get(name);
    into.set(name, prev === undefined ? q : prev.add(q));
  }
  return found;
}

export type QosClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

export function computeQosClass(spec: PodSpec): QosClass {
  const requests = new Map<string, Quantity>();
  const limits = new Map<string, Quantity>();
  let guaranteed = true;
  const all: Container[] = [...(spec.containers ?? []), ...(spec.initContainers ?? [])];
  for (const c of all) {
    if (!isRecord(c)) continue;
    qosResources(c.resources?.requests, requests);
    const found = qosResources(c.resources?.limits, limits);
    if (!found.has('cpu') || !found.has('memory')) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [name, req] of requests) {
      const lim = limits.get(name);
      if (lim === undefined || lim.cmp(req) !== 0) {
        guaranteed = false;
        break;
      }
    }
  }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}

// ---------------------------------------------------------------------------------------------
// Validation

const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';
const DELETION_COST_ANNOTATION = 'controller.kubernetes.io/pod-deletion-cost';

function validatePodAnnotations(obj: KubeObject & Pod, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const ann = obj.metadata?.annotations ?? {};
  const mirror = ann[MIRROR_POD_ANNOTATION];
  if (mirror !== undefined && !obj.spec?.nodeName) {
    errs.push(field.invalid(path.key(MIRROR_POD_ANNOTATION), mirror, 'must set spec.nodeName if mirror pod annotation is set'));
  }
  const cost = ann[DELETION_COST_ANNOTATION];
  if (cost !== undefined) {
    const n = /^[+-]?[0-9]+$/.test(cost) ? Number(cost) : NaN;
    if (!Number.isInteger(n) || n < -2147483648 || n > 2147483647) {
      errs.push(field.invalid(path.key(DELETION_COST_ANNOTATION), cost, 'must be a 32bit integer'));
    }
  }
  return errs;
}

/** validatePodMetadataAndSpec without the ObjectMeta part (the generic store does that). */
function validatePodSpecAndAnnotations(obj: KubeObject & Pod): FieldError[] {
  const spec = podSpec(obj);
  const errs = validatePodAnnotations(obj, fieldPath('metadata', 'annotations'));
  errs.push(...validatePodSpec(spec, fieldPath('spec'), { isPod: true }));
  if (!spec.serviceAccountName) {
    (spec.volumes ?? []).forEach((v, vi) => {
      (v.projected?.sources ?? []).forEach((s, si) => {
        if (isRecord(s.serviceAccountToken)) {
          errs.push(field.forbidden(fieldPath('spec', 'volumes').index(vi).child('projected', 'sources').index(si).child('serviceAccountToken'),
            'must not be specified when serviceAccountName is not set'));
        }
      });
    });
  }
  return errs;
}

function validatePodCreate(obj: KubeObject): FieldError[] {
  if (!isPodLike(obj)) return [field.invalid(fieldPath('spec'), obj.spec, 'must be an object')];
  const errs = validatePodSpecAndAnnotations(obj);
  const spec = podSpec(obj);
  if ((spec.ephemeralContainers ?? []).length > 0) {
    errs.push(field.forbidden(fieldPath('spec', 'ephemeralContainers'), 'cannot be set on create'));
  }
  if (spec.nodeName && (spec.schedulingGates ?? []).length > 0) {
    errs.push(field.forbidden(fieldPath('spec', 'nodeName'), 'cannot be set until all schedulingGates have been cleared'));
  }
  return errs;
}

/** The fields a pod update may change, as upstream lists them in its message. */
export const UPDATABLE_POD_SPEC_FIELDS = [
  '`spec.containers[*].image`',
  '`spec.initContainers[*].image`',
  '`spec.activeDeadlineSeconds`',
  '`spec.tolerations` (only additions to existing tolerations)',
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
];

function validateContainerUpdates(next: Container[] | undefined, prev: Container[] | undefined, path: FieldPath): { errs: FieldError[]; stop: boolean } {
  const n = next ?? [];
  const o = prev ?? [];
  if (n.length !== o.length) return { errs: [field.forbidden(path, 'pod updates may not add or remove containers')], stop: true };
  const errs: FieldError[] = [];
  n.forEach((c, i) => {
    const image = c.image ?? '';
    if (image.length === 0) errs.push(field.required(path.index(i).child('image'), ''));
    if (image.trim().length !== image.length) errs.push(field.invalid(path.index(i).child('image'), image, 'must not have leading or trailing whitespace'));
  });
  return { errs, stop: false };
}

function validateOnlyAddedTolerations(next: Toleration[] | undefined, prev: Toleration[] | undefined, path: FieldPath): FieldError[] {
  for (const old of prev ?? []) {
    const found = (next ?? []).some((t) => deepEqual({ ...old, tolerationSeconds: t.tolerationSeconds }, t));
    if (!found) return [field.forbidden(path, 'existing toleration can not be modified except its tolerationSeconds')];
  }
  return validateTolerations(next, path);
}

// Go field names of core.PodSpec in declaration order, for the diff in the update error. The
// internal type keeps the host namespace switches inside SecurityContext.
const POD_SPEC_GO_FIELDS: readonly [string, string][] = [
  ['volumes', 'Volumes'], ['initContainers', 'InitContainers'], ['containers', 'Containers'],
  ['ephemeralContainers', 'EphemeralContainers'], ['restartPolicy', 'RestartPolicy'],
  ['terminationGracePeriodSeconds', 'TerminationGracePeriodSeconds'], ['activeDeadlineSeconds', 'ActiveDeadlineSeconds'],
  ['dnsPolicy', 'DNSPolicy'], ['nodeSelector', 'NodeSelector'], ['serviceAccountName', 'ServiceAccountName'],
  ['automountServiceAccountToken', 'AutomountServiceAccountToken'], ['nodeName', 'NodeName'],
  ['securityContext', 'SecurityContext'], ['imagePullSecrets', 'ImagePullSecrets'], ['hostname', 'Hostname'],
  ['subdomain', 'Subdomain'], ['setHostnameAsFQDN', 'SetHostnameAsFQDN'], ['affinity', 'Affinity'],
  ['schedulerName', 'SchedulerName'], ['tolerations', 'Tolerations'], ['hostAliases', 'HostAliases'],
  ['priorityClassName', 'PriorityClassName'], ['priority', 'Priority'], ['preemptionPolicy', 'PreemptionPolicy'],
  ['dnsConfig', 'DNSConfig'], ['readinessGates', 'ReadinessGates'], ['runtimeClassName', 'RuntimeClassName'],
  ['overhead', 'Overhead'], ['enableServiceLinks', 'EnableServiceLinks'],
  ['topologySpreadConstraints', 'TopologySpreadConstraints'], ['os', 'OS'], ['schedulingGates', 'SchedulingGates'],
  ['resourceClaims', 'ResourceClaims'], ['resources', 'Resources'],
];
const IN_SECURITY_CONTEXT = ['hostNetwork', 'hostPID', 'hostIPC', 'shareProcessNamespace', 'hostUsers'];

/** The v1 spec folded into the internal shape the diff names (host namespaces under SecurityContext). */
function internalSpec(spec: PodSpec): Record<string, unknown> {
  const out: Record<string, unknown> = { ...spec };
  const sc: Record<string, unknown> = isRecord(spec.securityContext) ? { ...spec.securityContext } : {};
  for (const k of IN_SECURITY_CONTEXT) {
    if (out[k] !== undefined) sc[k] = out[k];
    delete out[k];
  }
  if (Object.keys(sc).length > 0 || spec.securityContext !== undefined) out.securityContext = sc;
  if (out.serviceAccount !== undefined && out.serviceAccountName === undefined) out.serviceAccountName = out.serviceAccount;
  delete out.serviceAccount;
  return out;
}

/**
 * An approximation of the go-cmp diff upstream appends to the message: changed fields of
 * core.PodSpec with their old (-) and new (+) values, runs of unchanged fields elided. go-cmp's
 * own output is deliberately unstable, so nobody can rely on its exact text anyway.
 */
export function podSpecDiff(oldSpec: PodSpec, newSpec: PodSpec): string {
  const a = internalSpec(oldSpec);
  const b = internalSpec(newSpec);
  const lines = ['  core.PodSpec{'];
  let same = 0;
  const flush = (): void => {
    if (same > 0) lines.push(`  \t... // ${same} identical ${same === 1 ? 'field' : 'fields'}`);
    same = 0;
  };
  for (const [json, goName] of POD_SPEC_GO_FIELDS) {
    if (deepEqual(a[json], b[json])) {
      same++;
      continue;
    }
    flush();
    if (a[json] !== undefined) lines.push(`- \t${goName}: ${goJson(a[json])},`);
    if (b[json] !== undefined) lines.push(`+ \t${goName}: ${goJson(b[json])},`);
  }
  flush();
  lines.push('  }');
  return lines.join('\n') + '\n';
}

function validatePodUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  if (!isPodLike(obj) || !isPodLike(old)) return [field.invalid(fieldPath('spec'), obj.spec, 'must be an object')];
  const errs = validatePodSpecAndAnnotations(obj);
  const annPath = fieldPath('metadata', 'annotations');
  const oldAnn = old.metadata?.annotations ?? {};
  const newAnn = obj.metadata?.annotations ?? {};
  if (MIRROR_POD_ANNOTATION in oldAnn && oldAnn[MIRROR_POD_ANNOTATION] !== newAnn[MIRROR_POD_ANNOTATION]) {
    errs.push(field.forbidden(annPath.key(MIRROR_POD_ANNOTATION), 'may not remove or update mirror pod annotation'));
  } else if (!(MIRROR_POD_ANNOTATION in oldAnn) && MIRROR_POD_ANNOTATION in newAnn) {
    errs.push(field.forbidden(annPath.key(MIRROR_POD_ANNOTATION), 'may not add mirror pod annotation'));
  }
  const spec = podSpec(obj);
  const oldSpec = podSpec(old);
  const specPath = fieldPath('spec');
  for (const k of ['containers', 'initContainers'] as const) {
    const r = validateContainerUpdates(spec[k], oldSpec[k], specPath.child(k));
    errs.push(...r.errs);
    if (r.stop) return errs;
  }
  const ads = spec.activeDeadlineSeconds;
  const oldAds = oldSpec.activeDeadlineSeconds;
  if (ads !== undefined && ads !== null) {
    if (ads < 0 || ads > 2147483647) {
      errs.push(field.invalid(specPath.child('activeDeadlineSeconds'), ads, 'must be between 0 and 2147483647, inclusive'));
      return errs;
    }
    if (oldAds !== undefined && oldAds !== null && oldAds < ads) {
      errs.push(field.invalid(specPath.child('activeDeadlineSeconds'), ads, 'must be less than or equal to previous value'));
      return errs;
    }
  } else if (oldAds !== undefined && oldAds !== null) {
    errs.push(field.invalid(specPath.child('activeDeadlineSeconds'), null, 'must not update from a positive integer to nil value'));
  }
  errs.push(...validateOnlyAddedTolerations(spec.tolerations, oldSpec.tolerations, specPath.child('tolerations')));
  // Scheduling gates may only be removed.
  const oldGates = new Set((oldSpec.schedulingGates ?? []).map((g) => g.name));
  (spec.schedulingGates ?? []).forEach((g, i) => {
    if (!oldGates.has(g.name)) {
      errs.push(field.forbidden(specPath.child('schedulingGates').index(i).child('name'), `only deletion is allowed, but found new scheduling gate '${g.name}'`));
    }
  });
  if (deepEqual(spec, oldSpec)) return errs;

  // Everything an update may change is copied from the old spec; any difference left is forbidden.
  const munged: PodSpec = structuredClone(spec);
  (munged.containers ?? []).forEach((c, i) => { c.image = oldSpec.containers?.[i]?.image ?? c.image; });
  (munged.initContainers ?? []).forEach((c, i) => { c.image = oldSpec.initContainers?.[i]?.image ?? c.image; });
  munged.activeDeadlineSeconds = oldSpec.activeDeadlineSeconds;
  if (munged.activeDeadlineSeconds === undefined) delete munged.activeDeadlineSeconds;
  munged.schedulingGates = oldSpec.schedulingGates;
  if (munged.schedulingGates === undefined) delete munged.schedulingGates;
  munged.tolerations = oldSpec.tolerations;
  if (munged.tolerations === undefined) delete munged.tolerations;
  const oldGrace = oldSpec.terminationGracePeriodSeconds;
  if (typeof oldGrace === 'number' && oldGrace < 0 && munged.terminationGracePeriodSeconds === 1) munged.terminationGracePeriodSeconds = oldGrace;
  if (oldGates.size > 0) {
    // A gated pod may gain node selector entries and node affinity; the scheduler has not seen it yet.
    if (!deepEqual(munged.nodeSelector, oldSpec.nodeSelector)) {
      for (const [k, v] of Object.entries(oldSpec.nodeSelector ?? {})) {
        if (munged.nodeSelector?.[k] !== v) errs.push(field.invalid(specPath.child('nodeSelector'), munged.nodeSelector ?? null, 'only additions to spec.nodeSelector are allowed (no mutations or deletions)'));
      }
      munged.nodeSelector = oldSpec.nodeSelector;
      if (munged.nodeSelector === undefined) delete munged.nodeSelector;
    }
  }
  if (!deepEqual(munged, oldSpec)) {
    errs.push(field.forbidden(specPath, `pod updates may not change fields other than ${UPDATABLE_POD_SPEC_FIELDS.join(',')}\n${podSpecDiff(oldSpec, munged)}`));
  }
  return errs;
}

function validateContainerStateTransitions(next: PodStatus['containerStatuses'], prev: PodStatus['containerStatuses'], path: FieldPath, restartPolicy: string): FieldError[] {
  const errs: FieldError[] = [];
  if (restartPolicy === 'Always') return errs;
  (prev ?? []).forEach((o, i) => {
    const term = o.state?.terminated;
    if (!isRecord(term)) return;
    if ((term.exitCode ?? 0) !== 0 && restartPolicy === 'OnFailure') return;
    for (const n of next ?? []) {
      if (n.name === o.name && !isRecord(n.state?.terminated)) {
        errs.push(field.forbidden(path.index(i).child('state'), 'may not be transitioned to non-terminated state'));
      }
    }
  });
  return errs;
}

const SYSTEM_CONDITIONS = new Set(['PodScheduled', 'Ready', 'Initialized']);

function validatePodStatusUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const status = podStatus(obj);
  const oldStatus = podStatus(old);
  // Upstream builds this path from "metadata", so condition errors read metadata.conditions[i].Type.
  (status.conditions ?? []).forEach((c, i) => {
    if (SYSTEM_CONDITIONS.has(c.type)) return;
    const p = fieldPath('metadata', 'conditions').index(i).child('Type');
    errs.push(...isQualifiedName(c.type ?? '').map((m) => field.invalid(p, c.type ?? '', m)));
  });
  const sp = fieldPath('status');
  if (podSpec(obj).nodeName !== podSpec(old).nodeName) errs.push(field.forbidden(sp.child('nodeName'), 'may not be changed directly'));
  const nnn = status.nominatedNodeName ?? '';
  if (nnn !== (oldStatus.nominatedNodeName ?? '') && nnn.length > 0) {
    errs.push(...nameIsDnsSubdomain(nnn, false).map((m) => field.invalid(sp.child('nominatedNodeName'), nnn, m)));
  }
  errs.push(...validateImmutableField(status.qosClass ?? '', oldStatus.qosClass ?? '', sp.child('qosClass')));
  const rp = podSpec(old).restartPolicy ?? '';
  errs.push(...validateContainerStateTransitions(status.containerStatuses, oldStatus.containerStatuses, sp.child('containerStatuses'), rp));
  errs.push(...validateContainerStateTransitions(status.initContainerStatuses, oldStatus.initContainerStatuses, sp.child('initContainerStatuses'), rp));
  errs.push(...validateContainerStateTransitions(status.ephemeralContainerStatuses, oldStatus.ephemeralContainerStatuses, sp.child('ephemeralContainerStatuses'), 'Never'));
  for (const [key, list] of [['podIPs', status.podIPs], ['hostIPs', status.hostIPs]] as const) {
    const p = sp.child(key);
    const ips = (list ?? []).map((x) => x.ip ?? '');
    ips.forEach((ip, i) => errs.push(...isValidIP(p.index(i), ip)));
    if (key === 'hostIPs' && ips.length > 0 && (status.hostIP ?? '') !== ips[0]) {
      errs.push(field.invalid(p.index(0).child('ip'), ips[0], 'must be equal to `hostIP`'));
    }
    if (ips.length > 1) {
      const families = new Set(ips.map((ip) => (ip.includes(':') ? 6 : 4)));
      if (families.size !== ips.length || ips.length > 2) errs.push(field.invalid(p, list ?? [], 'may specify no more than one IP for each IP family'));
      const seen = new Set<string>();
      (list ?? []).forEach((x, i) => {
        if (seen.has(x.ip ?? '')) errs.push(field.duplicate(p.index(i), x));
        seen.add(x.ip ?? '');
      });
    }
  }
  return errs;
}

// ---------------------------------------------------------------------------------------------

export const podStrategy: Strategy = {
  resource: resourceOf('', 'v1', 'pods'),
  hasStatus: true,
  hasGeneration: false,

  defaults(obj) {
    const spec = podSpec(obj);
    defaultPodSpec(spec);
    defaultPodOnlyFields(spec);
  },

  prepareForCreate(obj) {
    const spec = podSpec(obj);
    const status: PodStatus = { phase: 'Pending', qosClass: computeQosClass(spec) };
    if ((spec.schedulingGates ?? []).length > 0) {
      status.conditions = [{
        type: 'PodScheduled', status: 'False', reason: 'SchedulingGated',
        message: 'Scheduling is blocked due to non-empty scheduling gates',
      }];
    }
    obj.status = status;
  },

  prepareForUpdate(obj, old) {
    obj.status = structuredClone(old.status);
  },

  validate: (obj) => validatePodCreate(obj),
  validateUpdate: (obj, old) => validatePodUpdate(obj, old),
  validateStatusUpdate: (obj, old) => validatePodStatusUpdate(obj, old),

  selectableFields(obj) {
    const spec = objectOr<PodSpec>(obj.spec, { containers: [] });
    const status = podStatus(obj);
    return {
      'spec.nodeName': spec.nodeName ?? '',
      'spec.restartPolicy': spec.restartPolicy ?? '',
      'spec.schedulerName': spec.schedulerName ?? '',
      'spec.serviceAccountName': spec.serviceAccountName ?? '',
      'spec.hostNetwork': String(spec.hostNetwork === true),
      'status.phase': status.phase ?? '',
      // The first of status.podIPs, as upstream indexes it (status.podIP is its mirror).
      'status.podIP': status.podIPs?.[0]?.ip ?? status.podIP ?? '',
      'status.nominatedNodeName': status.nominatedNodeName ?? '',
    };
  },

  gracePeriodSeconds(obj, requested) {
    const spec = objectOr<PodSpec>(obj.spec, { containers: [] });
    let period = requested ?? spec.terminationGracePeriodSeconds ?? 0;
    // Unscheduled pods have no kubelet to wait for; finished pods have nothing left to stop.
    if (!spec.nodeName) period = 0;
    const phase = podStatus(obj).phase;
    if (phase === 'Failed' || phase === 'Succeeded') period = 0;
    if (period < 0) period = 1;
    return period;
  },
};
