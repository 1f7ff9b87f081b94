// Defaults and validation of a PodSpec, shared by Pods and by every workload's pod template
// (Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob, ReplicationController,
// PodTemplate). Reproduces Kubernetes 1.32: SetDefaults_PodSpec / _Container / _Probe / _Volume,
// and ValidatePodSpec with its container, volume, env, port, resource and toleration checks,
// with upstream's field paths and message texts.
//
// Pod-only rules (defaulting requests from limits, enableServiceLinks, the image whitespace check)
// are switched on with `isPod`, as upstream separates ValidatePodCreate from ValidatePodTemplateSpec.

import type {
  Container, ContainerPort, EnvFromSource, EnvVar, PodSpec, PodTemplateSpec, Probe, Toleration, Volume,
  VolumeMount, ResourceRequirements, LifecycleHandler,
} from 'kubernetes-types/core/v1.js';
import { type FieldError, type FieldPath, field, fieldPath } from '../../../api/errors.js';
import {
  IS_NEGATIVE_ERROR_MSG, inclusiveRangeError, isConfigMapKey, isDns1123Label, isDns1123Subdomain, isHttpHeaderName,
  isQualifiedName, isValidIP, isValidLabelValue, isValidPortName, isValidPortNum, utf8Length, validateAnnotations,
  validateLabelName, validateLabels, validateLabelSelector,
} from '../../../api/validation.js';
import { ERR_FORMAT_WRONG, Quantity, QuantityError } from '../../../api/quantity.js';
import { isRecord } from './util.js';

const MAX_INT32 = 2147483647;

// ---------------------------------------------------------------------------------------------
// Defaults

/** The image tag as upstream's parsers.ParseImageName sees it: "latest" when neither tag nor digest. */
export function imageTag(image: string): string {
  const at = image.indexOf('@');
  const name = at >= 0 ? image.slice(0, at) : image;
  const lastSlash = name.lastIndexOf('/');
  const lastPart = name.slice(lastSlash + 1);
  const colon = lastPart.lastIndexOf(':');
  const tag = colon >= 0 ? lastPart.slice(colon + 1) : '';
  if (tag === '' && at < 0) return 'latest';
  return tag;
}

function defaultHttpGet(h: { path?: string; scheme?: string } | undefined): void {
  if (h === undefined) return;
  if (!h.path) h.path = '/';
  if (!h.scheme) h.scheme = 'HTTP';
}

function defaultProbe(p: Probe | undefined): void {
  if (!isRecord(p)) return;
  if (!p.timeoutSeconds) p.timeoutSeconds = 1;
  if (!p.periodSeconds) p.periodSeconds = 10;
  if (!p.successThreshold) p.successThreshold = 1;
  if (!p.failureThreshold) p.failureThreshold = 3;
  defaultHttpGet(p.httpGet);
}

function defaultLifecycleHandler(h: LifecycleHandler | undefined): void {
  if (isRecord(h)) defaultHttpGet(h.httpGet);
}

/** SetDefaults_Container plus the defaults of what a container holds (ports, probes, env). */
export function defaultContainer(c: Container): void {
  if (!c.imagePullPolicy) c.imagePullPolicy = imageTag(c.image ?? '') === 'latest' ? 'Always' : 'IfNotPresent';
  if (!c.terminationMessagePath) c.terminationMessagePath = '/dev/termination-log';
  if (!c.terminationMessagePolicy) c.terminationMessagePolicy = 'File';
  for (const p of c.ports ?? []) if (isRecord(p) && !p.protocol) p.protocol = 'TCP';
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
  if (isRecord(c.lifecycle)) {
    defaultLifecycleHandler(c.lifecycle.postStart);
    defaultLifecycleHandler(c.lifecycle.preStop);
  }
  for (const e of c.env ?? []) {
    const fr = isRecord(e) ? e.valueFrom?.fieldRef : undefined;
    if (isRecord(fr) && !fr.apiVersion) fr.apiVersion = 'v1';
  }
}

const DEFAULT_MODE = 0o644;

function defaultVolume(v: Volume): void {
  const sources = Object.entries(v).filter(([k, x]) => k !== 'name' && x !== undefined && x !== null);
  if (sources.length === 0) v.emptyDir = {};
  if (isRecord(v.secret) && v.secret.defaultMode === undefined) v.secret.defaultMode = DEFAULT_MODE;
  if (isRecord(v.configMap) && v.configMap.defaultMode === undefined) v.configMap.defaultMode = DEFAULT_MODE;
  if (isRecord(v.downwardAPI) && v.downwardAPI.defaultMode === undefined) v.downwardAPI.defaultMode = DEFAULT_MODE;
  if (isRecord(v.projected) && v.projected.defaultMode === undefined) v.projected.defaultMode = DEFAULT_MODE;
  if (isRecord(v.hostPath) && v.hostPath.type === undefined) v.hostPath.type = '';
  if (isRecord(v.downwardAPI)) {
    for (const item of v.downwardAPI.items ?? []) if (isRecord(item.fieldRef) && !item.fieldRef.apiVersion) item.fieldRef.apiVersion = 'v1';
  }
}

function containersOf(spec: PodSpec): Container[] {
  const out: Container[] = [];
  for (const list of [spec.initContainers, spec.containers]) {
    if (Array.isArray(list)) for (const c of list) if (isRecord(c)) out.push(c);
  }
  return out;
}

/** SetDefaults_PodSpec and the defaults of everything inside it (upstream's generated defaulters). */
export function defaultPodSpec(spec: PodSpec): void {
  if (!spec.dnsPolicy) spec.dnsPolicy = 'ClusterFirst';
  if (!spec.restartPolicy) spec.restartPolicy = 'Always';
  if (spec.securityContext === undefined || spec.securityContext === null) spec.securityContext = {};
  if (spec.terminationGracePeriodSeconds === undefined || spec.terminationGracePeriodSeconds === null) spec.terminationGracePeriodSeconds = 30;
  if (!spec.schedulerName) spec.schedulerName = 'default-scheduler';
  for (const c of containersOf(spec)) defaultContainer(c);
  if (Array.isArray(spec.ephemeralContainers)) {
    for (const c of spec.ephemeralContainers) if (isRecord(c)) defaultContainer(c);
  }
  if (Array.isArray(spec.volumes)) for (const v of spec.volumes) if (isRecord(v)) defaultVolume(v);
}

/** The extra defaults upstream's SetDefaults_Pod applies to Pods but not to pod templates. */
export function defaultPodOnlyFields(spec: PodSpec): void {
  // Requests default to limits, per container, for resources that have a limit but no request.
  for (const c of containersOf(spec)) {
    const resources = c.resources;
    if (!isRecord(resources)) continue;
    const limits = resources.limits;
    if (!isRecord(limits)) continue;
    const requests = isRecord(resources.requests) ? resources.requests : (resources.requests = {});
    for (const [k, v] of Object.entries(limits)) if (!(k in requests)) requests[k] = v;
  }
  if (spec.enableServiceLinks === undefined || spec.enableServiceLinks === null) spec.enableServiceLinks = true;
  if (spec.hostNetwork === true) {
    for (const c of containersOf(spec)) {
      for (const p of c.ports ?? []) if (isRecord(p) && !p.hostPort) p.hostPort = p.containerPort;
    }
  }
}

export function defaultPodTemplateSpec(t: PodTemplateSpec | undefined): void {
  if (!isRecord(t)) return;
  if (!isRecord(t.spec)) t.spec = { containers: [] };
  defaultPodSpec(t.spec);
}

// ---------------------------------------------------------------------------------------------
// Validation

export interface PodSpecValidationOptions {
  /** The spec belongs to a Pod (not a template): pod-only rules apply. */
  isPod: boolean;
}

function nameErrors(path: FieldPath, value: string, msgs: string[]): FieldError[] {
  return msgs.map((m) => field.invalid(path, value, m));
}

function validateDns1123Label(value: string, path: FieldPath): FieldError[] {
  return nameErrors(path, value, isDns1123Label(value));
}

function validateDns1123Subdomain(value: string, path: FieldPath): FieldError[] {
  return nameErrors(path, value, isDns1123Subdomain(value));
}

function validateNonnegative(value: number | undefined, path: FieldPath): FieldError[] {
  return value !== undefined && value < 0 ? [field.invalid(path, value, IS_NEGATIVE_ERROR_MSG)] : [];
}

const FILE_MODE_ERROR = 'must be a number between 0 and 0777 (octal), both inclusive';

function validateMode(mode: number | undefined, path: FieldPath): FieldError[] {
  return mode !== undefined && (mode > 0o777 || mode < 0) ? [field.invalid(path, mode, FILE_MODE_ERROR)] : [];
}

// Upstream checks volume sources in this order and flags every source after the first.
const VOLUME_SOURCES = [
  'emptyDir', 'hostPath', 'gitRepo', 'gcePersistentDisk', 'awsElasticBlockStore', 'secret', 'nfs', 'iscsi', 'glusterfs',
  'persistentVolumeClaim', 'rbd', 'quobyte', 'cephfs', 'downwardAPI', 'fc', 'flocker', 'azureFile', 'vsphereVolume',
  'azureDisk', 'photonPersistentDisk', 'portworxVolume', 'projected', 'scaleIO', 'configMap', 'storageos', 'csi',
  'ephemeral', 'image', 'flexVolume', 'cinder',
] as const;

function validateVolumeSource(v: Volume, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  let count = 0;
  const present = new Map(Object.entries(v));
  for (const src of VOLUME_SOURCES) {
    if (present.get(src) === undefined || present.get(src) === null) continue;
    if (count > 0) {
      errs.push(field.forbidden(path.child(src), 'may not specify more than 1 volume type'));
      continue;
    }
    count++;
    const p = path.child(src);
    switch (src) {
      case 'hostPath':
        if (!v.hostPath?.path) errs.push(field.required(p.child('path'), ''));
        break;
      case 'secret':
        if (!v.secret?.secretName) errs.push(field.required(p.child('secretName'), ''));
        errs.push(...validateMode(v.secret?.defaultMode, p.child('defaultMode')));
        break;
      case 'configMap':
        if (!v.configMap?.name) errs.push(field.required(p.child('name'), ''));
        else errs.push(...validateDns1123Subdomain(v.configMap.name, p.child('name')));
        errs.push(...validateMode(v.configMap?.defaultMode, p.child('defaultMode')));
        break;
      case 'persistentVolumeClaim':
        if (!v.persistentVolumeClaim?.claimName) errs.push(field.required(p.child('claimName'), ''));
        break;
      case 'downwardAPI':
        errs.push(...validateMode(v.downwardAPI?.defaultMode, p.child('defaultMode')));
        break;
      case 'projected':
        errs.push(...validateMode(v.projected?.defaultMode, p.child('defaultMode')));
        break;
      case 'nfs':
        if (!v.nfs?.server) errs.push(field.required(p.child('server'), ''));
        if (!v.nfs?.path) errs.push(field.required(p.child('path'), ''));
        else if (!v.nfs.path.startsWith('/')) errs.push(field.invalid(p.child('path'), v.nfs.path, 'must be an absolute path'));
        break;
      default:
        break;
    }
  }
  if (count === 0) errs.push(field.required(path, 'must specify a volume type'));
  return errs;
}

/** ValidateVolumes: the names of valid volumes (mounts may only refer to these) and the errors. */
export function validateVolumes(volumes: readonly Volume[] | undefined, path: FieldPath): { names: Set<string>; errs: FieldError[] } {
  const names = new Set<string>();
  const seen = new Set<string>();
  const errs: FieldError[] = [];
  (volumes ?? []).forEach((v, i) => {
    const p = path.index(i);
    const namePath = p.child('name');
    const el = validateVolumeSource(v, p);
    const name = v.name ?? '';
    if (name.length === 0) el.push(field.required(namePath, ''));
    else el.push(...validateDns1123Label(name, namePath));
    if (seen.has(name)) el.push(field.duplicate(namePath, name));
    if (el.length === 0) {
      seen.add(name);
      names.add(name);
    } else {
      errs.push(...el);
    }
  });
  return { names, errs };
}

const PORT_PROTOCOLS = ['SCTP', 'TCP', 'UDP'];

function validateContainerPorts(ports: readonly ContainerPort[] | undefined, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  (ports ?? []).forEach((port, i) => {
    const p = path.index(i);
    const name = port.name ?? '';
    if (name.length > 0) {
      const msgs = isValidPortName(name);
      if (msgs.length > 0) errs.push(...msgs.map((m) => field.invalid(p.child('name'), name, m)));
      else if (names.has(name)) errs.push(field.duplicate(p.child('name'), name));
      else names.add(name);
    }
    const cp = port.containerPort ?? 0;
    if (cp === 0) errs.push(field.required(p.child('containerPort'), ''));
    else for (const m of isValidPortNum(cp)) errs.push(field.invalid(p.child('containerPort'), cp, m));
    const hp = port.hostPort ?? 0;
    if (hp !== 0) for (const m of isValidPortNum(hp)) errs.push(field.invalid(p.child('hostPort'), hp, m));
    const proto = port.protocol ?? '';
    if (proto === '') errs.push(field.required(p.child('protocol'), ''));
    else if (!PORT_PROTOCOLS.includes(proto)) errs.push(field.notSupported(p.child('protocol'), proto, PORT_PROTOCOLS));
  });
  return errs;
}

/**
 * Environment variable names as 1.32 checks them: the RelaxedEnvironmentVariableValidation gate is
 * on by default in 1.32, so any printable ASCII except '=' is accepted.
 */
export function isRelaxedEnvVarName(value: string): string[] {
  const errs: string[] = [];
  if (value.length === 0) errs.push('environment variable name must be non-empty');
  for (const ch of value) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp > 0x7e || cp < 0x20 || ch === '=') {
      errs.push("a valid environment variable name must consist only of printable ASCII characters other than '='");
      break;
    }
  }
  return errs;
}

const ENV_FIELD_PATHS = [
  'metadata.name', 'metadata.namespace', 'metadata.uid', 'spec.nodeName', 'spec.serviceAccountName',
  'status.hostIP', 'status.hostIPs', 'status.podIP', 'status.podIPs',
];
// What ConvertDownwardAPIFieldLabel accepts for pods (anything else fails conversion).
const CONVERTIBLE_FIELD_PATHS = new Set([
  'metadata.annotations', 'metadata.labels', 'metadata.name', 'metadata.namespace', 'metadata.uid', 'spec.nodeName',
  'spec.restartPolicy', 'spec.serviceAccountName', 'spec.schedulerName', 'status.phase', 'status.hostIP',
  'status.hostIPs', 'status.podIP', 'status.podIPs',
]);
const RESOURCE_FIELD_PATHS = [
  'limits.cpu', 'limits.ephemeral-storage', 'limits.memory', 'requests.cpu', 'requests.ephemeral-storage', 'requests.memory',
];

function validateFieldRef(fr: { apiVersion?: string; fieldPath?: string }, path: FieldPath): FieldError[] {
  if (!fr.apiVersion) return [field.required(path.child('apiVersion'), '')];
  if (!fr.fieldPath) return [field.required(path.child('fieldPath'), '')];
  const fp = fr.fieldPath;
  if (fr.apiVersion !== 'v1') {
    return [field.invalid(path.child('fieldPath'), fp, `error converting fieldPath: unsupported pod version: ${fr.apiVersion}`)];
  }
  const sub = /^(metadata\.(?:labels|annotations))\['(.*)'\]$/.exec(fp);
  if (sub !== null) {
    const key = sub[1] === 'metadata.annotations' ? sub[2]!.toLowerCase() : sub[2]!;
    return isQualifiedName(key).map((m) => field.invalid(path, key, m));
  }
  if (!CONVERTIBLE_FIELD_PATHS.has(fp)) {
    return [field.invalid(path.child('fieldPath'), fp, `error converting fieldPath: field label not supported: ${fp}`)];
  }
  if (!ENV_FIELD_PATHS.includes(fp)) return [field.notSupported(path.child('fieldPath'), fp, ENV_FIELD_PATHS)];
  return [];
}

function validateKeySelector(s: { name?: string; key?: string }, path: FieldPath): FieldError[] {
  const errs = nameErrors(path.child('name'), s.name ?? '', isDns1123Subdomain(s.name ?? ''));
  const key = s.key ?? '';
  if (key.length === 0) errs.push(field.required(path.child('key'), ''));
  else errs.push(...isConfigMapKey(key).map((m) => field.invalid(path.child('key'), key, m)));
  return errs;
}

function validateEnv(env: readonly EnvVar[] | undefined, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  (env ?? []).forEach((ev, i) => {
    const p = path.index(i);
    const name = ev.name ?? '';
    if (name.length === 0) errs.push(field.required(p.child('name'), ''));
    else errs.push(...isRelaxedEnvVarName(name).map((m) => field.invalid(p.child('name'), name, m)));
    const vf = ev.valueFrom;
    if (!isRecord(vf)) return;
    const vp = p.child('valueFrom');
    let n = 0;
    if (isRecord(vf.fieldRef)) {
      n++;
      errs.push(...validateFieldRef(vf.fieldRef, vp.child('fieldRef')));
    }
    if (isRecord(vf.resourceFieldRef)) {
      n++;
      const r = vf.resourceFieldRef.resource ?? '';
      const rp = vp.child('resourceFieldRef');
      if (r === '') errs.push(field.required(rp.child('resource'), ''));
      else if (!RESOURCE_FIELD_PATHS.includes(r) && !r.startsWith('requests.hugepages-') && !r.startsWith('limits.hugepages-')) {
        errs.push(field.notSupported(rp.child('resource'), r, RESOURCE_FIELD_PATHS));
      }
    }
    if (isRecord(vf.configMapKeyRef)) {
      n++;
      errs.push(...validateKeySelector(vf.configMapKeyRef, vp.child('configMapKeyRef')));
    }
    if (isRecord(vf.secretKeyRef)) {
      n++;
      errs.push(...validateKeySelector(vf.secretKeyRef, vp.child('secretKeyRef')));
    }
    if (n === 0) errs.push(field.invalid(vp, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
    else if ((ev.value ?? '') !== '') errs.push(field.invalid(vp, '', 'may not be specified when `value` is not empty'));
    else if (n > 1) errs.push(field.invalid(vp, '', 'may not have more than one field specified at a time'));
  });
  return errs;
}

function validateEnvFrom(envFrom: readonly EnvFromSource[] | undefined, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  (envFrom ?? []).forEach((ef, i) => {
    const p = path.index(i);
    if (ef.prefix) errs.push(...isRelaxedEnvVarName(ef.prefix).map((m) => field.invalid(p.child('prefix'), ef.prefix, m)));
    let n = 0;
    for (const k of ['configMapRef', 'secretRef'] as const) {
      const ref = ef[k];
      if (!isRecord(ref)) continue;
      n++;
      const name = ref.name ?? '';
      if (name === '') errs.push(field.required(p.child(k).child('name'), ''));
      else errs.push(...nameErrors(p.child(k).child('name'), name, isDns1123Subdomain(name.endsWith('-') ? name.slice(0, -1) + 'a' : name)));
    }
    // Upstream reports these two at the list's path, not the item's.
    if (n === 0) errs.push(field.invalid(path, '', 'must specify one of: `configMapRef` or `secretRef`'));
    else if (n > 1) errs.push(field.invalid(path, '', 'may not have more than one field specified at a time'));
  });
  return errs;
}

function validateLocalDescendingPath(target: string, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (target.startsWith('/')) errs.push(field.invalid(path, target, 'must be a relative path'));
  if (target.split(/[\\/]/).includes('..')) errs.push(field.invalid(path, target, "must not contain '..'"));
  return errs;
}

function validateVolumeMounts(mounts: readonly VolumeMount[] | undefined, volumes: Set<string>, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const mountPoints = new Set<string>();
  (mounts ?? []).forEach((m, i) => {
    const p = path.index(i);
    const name = m.name ?? '';
    const mountPath = m.mountPath ?? '';
    if (name.length === 0) errs.push(field.required(p.child('name'), ''));
    if (!volumes.has(name)) errs.push(field.notFound(p.child('name'), name));
    if (mountPath.length === 0) errs.push(field.required(p.child('mountPath'), ''));
    if (mountPoints.has(mountPath)) errs.push(field.invalid(p.child('mountPath'), mountPath, 'must be unique'));
    mountPoints.add(mountPath);
    // Upstream reports subPath problems at the list's path (`volumeMounts.subPath`), a quirk kept here.
    if (m.subPath) errs.push(...validateLocalDescendingPath(m.subPath, path.child('subPath')));
    if (m.subPathExpr) {
      if (m.subPath) errs.push(field.invalid(p.child('subPathExpr'), m.subPathExpr, 'subPathExpr and subPath are mutually exclusive'));
      errs.push(...validateLocalDescendingPath(m.subPathExpr, path.child('subPathExpr')));
    }
  });
  return errs;
}

const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];

// Resource names (upstream helper.IsStandardResourceName and friends).
const STANDARD_CONTAINER_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage']);
const STANDARD_RESOURCES = new Set([
  'cpu', 'memory', 'ephemeral-storage', 'requests.cpu', 'requests.memory', 'requests.ephemeral-storage', 'limits.cpu',
  'limits.memory', 'limits.ephemeral-storage', 'pods', 'services', 'replicationcontrollers', 'resourcequotas', 'secrets',
  'persistentvolumeclaims', 'configmaps', 'services.nodeports', 'services.loadbalancers', 'storage', 'requests.storage',
]);
const INTEGER_RESOURCES = new Set([
  'pods', 'services', 'replicationcontrollers', 'resourcequotas', 'secrets', 'configmaps', 'persistentvolumeclaims',
  'services.nodeports', 'services.loadbalancers',
]);

function isHugePages(name: string): boolean {
  return name.startsWith('hugepages-');
}
export function isStandardResourceName(name: string): boolean {
  return STANDARD_RESOURCES.has(name) || isHugePages(name) || name.startsWith('requests.hugepages-');
}
function isNativeResource(name: string): boolean {
  return !name.includes('/') || name.includes('kubernetes.io/');
}
export function isExtendedResourceName(name: string): boolean {
  if (isNativeResource(name) || name.startsWith('requests.')) return false;
  return isQualifiedName(`requests.${name}`).length === 0;
}
function isOvercommitAllowed(name: string): boolean {
  return isNativeResource(name) && !isHugePages(name);
}
export function isIntegerResourceName(name: string): boolean {
  return INTEGER_RESOURCES.has(name) || isExtendedResourceName(name);
}

/** validateResourceName: a qualified name, standard when not prefixed. */
export function validateResourceName(name: string, path: FieldPath): FieldError[] {
  const errs = isQualifiedName(name).map((m) => field.invalid(path, name, m));
  if (errs.length > 0) return errs;
  if (!name.includes('/') && !isStandardResourceName(name)) errs.push(field.invalid(path, name, 'must be a standard resource type or fully qualified'));
  return errs;
}

function validateContainerResourceName(name: string, path: FieldPath): FieldError[] {
  const errs = validateResourceName(name, path);
  if (!name.includes('/')) {
    if (!STANDARD_CONTAINER_RESOURCES.has(name) && !isHugePages(name)) {
      errs.push(field.invalid(path, name, 'must be a standard resource for containers'));
    }
  } else if (!isNativeResource(name) && !isExtendedResourceName(name)) {
    errs.push(field.invalid(path, name, "doesn't follow extended resource name standard"));
  }
  return errs;
}

// Quantities in the strategies: src/api/quantity.ts, with three rules of the strategies' own.
//
// - A quantity needs a digit before its suffix, and an `e` exponent at most 1000 in magnitude.
//   Quantity.parse, like upstream, reads digitless text (`Ki`, `-`, `.`, `e3`) as zero and takes
//   any int64 exponent (truncating it to int32); the strategies have always rejected both, and
//   the exponent bound keeps the exact arithmetic below (sums, the whole-number check) small.
// - Every malformed quantity gets the decoder's "must match the regular expression" message,
//   including those Quantity.parse rejects with ERR_SUFFIX.
// - Messages print the canonical form (`1.500` → `1500m`), not the text the quantity was parsed
//   from, which Quantity.toString() keeps where upstream's String() does.

const MAX_QUANTITY_EXPONENT = 1000;
const NANOS_PER_UNIT = 1_000_000_000n;

/** A quantity string, or a JSON number (which the API also accepts); null when malformed. */
export function parseResourceQuantity(raw: unknown): Quantity | null {
  let s: string;
  if (typeof raw === 'number' && Number.isFinite(raw)) s = String(raw);
  else if (typeof raw === 'string') s = raw;
  else return null;
  if (!/^[+-]?\.?[0-9]/.test(s)) return null;
  const exp = /[eE]([-+]?[0-9]+)$/.exec(s);
  if (exp !== null && Math.abs(Number(exp[1])) > MAX_QUANTITY_EXPONENT) return null;
  try {
    return Quantity.parse(s);
  } catch (e) {
    if (e instanceof QuantityError) return null;
    throw e;
  }
}

/** The canonical form of `q` (Kubernetes' String() of a freshly computed quantity). */
export function quantityText(q: Quantity): string {
  // Rebuilt from its exact nano count, the quantity no longer carries the text it was parsed from.
  return Quantity.scaled(q.scaledValueBig(-9), -9, q.format).toString();
}

/** True when `q` is a whole number. Exact: a Quantity holds nothing finer than nano-units. */
export function isWholeQuantity(q: Quantity): boolean {
  return q.scaledValueBig(-9) % NANOS_PER_UNIT === 0n;
}

/**
 * ValidateResourceQuantityValue: not negative, whole for integer resources. Malformed quantities
 * (which upstream rejects while decoding) get the decoder's message.
 */
export function validateResourceQuantity(name: string, raw: unknown, path: FieldPath): { q: Quantity | null; errs: FieldError[] } {
  const q = parseResourceQuantity(raw);
  if (q === null) return { q, errs: [field.invalid(path, raw, ERR_FORMAT_WRONG)] };
  const errs: FieldError[] = [];
  if (q.sign() < 0) errs.push(field.invalid(path, quantityText(q), IS_NEGATIVE_ERROR_MSG));
  if (isIntegerResourceName(name) && !isWholeQuantity(q)) errs.push(field.invalid(path, quantityText(q), 'must be an integer'));
  return { q, errs };
}

function validateResources(res: ResourceRequirements | undefined, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (!isRecord(res)) return errs;
  const limPath = path.child('limits');
  const reqPath = path.child('requests');
  const limits = new Map<string, Quantity>();
  let limCpuMem = false;
  let reqCpuMem = false;
  let hugePages = false;
  for (const [name, raw] of Object.entries(res.limits ?? {})) {
    const p = limPath.key(name);
    errs.push(...validateContainerResourceName(name, p));
    const { q, errs: qe } = validateResourceQuantity(name, raw, p);
    errs.push(...qe);
    if (q !== null) limits.set(name, q);
    if (isHugePages(name)) hugePages = true;
    if (name === 'cpu' || name === 'memory') limCpuMem = true;
  }
  for (const [name, raw] of Object.entries(res.requests ?? {})) {
    const p = reqPath.key(name);
    errs.push(...validateContainerResourceName(name, p));
    const { q, errs: qe } = validateResourceQuantity(name, raw, p);
    errs.push(...qe);
    const lim = limits.get(name);
    if (q !== null && lim !== undefined) {
      const cmp = q.cmp(lim);
      if (cmp !== 0 && !isOvercommitAllowed(name)) {
        errs.push(field.invalid(reqPath, quantityText(q), `must be equal to ${name} limit of ${quantityText(lim)}`));
      } else if (cmp > 0) {
        errs.push(field.invalid(reqPath, quantityText(q), `must be less than or equal to ${name} limit of ${quantityText(lim)}`));
      }
    } else if (!(name in (res.limits ?? {})) && !isOvercommitAllowed(name)) {
      errs.push(field.required(limPath, 'Limit must be set for non overcommitable resources'));
    }
    if (isHugePages(name)) hugePages = true;
    if (name === 'cpu' || name === 'memory') reqCpuMem = true;
  }
  if (!limCpuMem && !reqCpuMem && hugePages) errs.push(field.forbidden(path, 'HugePages require cpu or memory'));
  return errs;
}

const HTTP_SCHEMES = ['HTTP', 'HTTPS'];

function validatePortNumOrName(port: number | string | undefined, path: FieldPath): FieldError[] {
  if (typeof port === 'number') return isValidPortNum(port).map((m) => field.invalid(path, port, m));
  if (typeof port === 'string') return isValidPortName(port).map((m) => field.invalid(path, port, m));
  return isValidPortNum(0).map((m) => field.invalid(path, 0, m));
}

interface Handler {
  exec?: { command?: string[] };
  httpGet?: { path?: string; port?: number | string; scheme?: string; httpHeaders?: { name: string }[] };
  tcpSocket?: { port?: number | string };
  grpc?: { port?: number };
  sleep?: { seconds?: number };
}

function validateHandler(h: Handler, gracePeriod: number | undefined, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  let n = 0;
  const kinds = ['exec', 'httpGet', 'tcpSocket', 'grpc', 'sleep'] as const;
  for (const k of kinds) {
    const v = h[k];
    if (!isRecord(v)) continue;
    if (n > 0) {
      errs.push(field.forbidden(path.child(k), 'may not specify more than 1 handler type'));
      continue;
    }
    n++;
    const p = path.child(k);
    switch (k) {
      case 'exec':
        if ((h.exec?.command ?? []).length === 0) errs.push(field.required(p.child('command'), ''));
        break;
      case 'httpGet': {
        const g = h.httpGet!;
        if (!g.path) errs.push(field.required(p.child('path'), ''));
        errs.push(...validatePortNumOrName(g.port, p.child('port')));
        if (!HTTP_SCHEMES.includes(g.scheme ?? '')) errs.push(field.notSupported(p.child('scheme'), g.scheme ?? '', HTTP_SCHEMES));
        for (const hd of g.httpHeaders ?? []) errs.push(...isHttpHeaderName(hd.name ?? '').map((m) => field.invalid(p.child('httpHeaders'), hd.name, m)));
        break;
      }
      case 'tcpSocket':
        errs.push(...validatePortNumOrName(h.tcpSocket?.port, p.child('port')));
        break;
      case 'grpc':
        errs.push(...validatePortNumOrName(h.grpc?.port ?? 0, p.child('port')));
        break;
      case 'sleep': {
        const s = h.sleep?.seconds ?? 0;
        if (gracePeriod !== undefined && (s <= 0 || s > gracePeriod)) {
          errs.push(field.invalid(p, s, `must be greater than 0 and less than terminationGracePeriodSeconds (${gracePeriod}). Enable AllowPodLifecycleSleepActionZeroValue feature gate for zero sleep.`));
        }
        break;
      }
    }
  }
  if (n === 0) errs.push(field.required(path, 'must specify a handler type'));
  return errs;
}

function validateProbe(probe: Probe, gracePeriod: number | undefined, path: FieldPath): FieldError[] {
  const errs = validateHandler({ exec: probe.exec, httpGet: probe.httpGet, tcpSocket: probe.tcpSocket, grpc: probe.grpc }, gracePeriod, path);
  for (const k of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold'] as const) {
    errs.push(...validateNonnegative(probe[k], path.child(k)));
  }
  const tg = probe.terminationGracePeriodSeconds;
  if (tg !== undefined && tg !== null && tg <= 0) errs.push(field.invalid(path.child('terminationGracePeriodSeconds'), tg, 'must be greater than 0'));
  return errs;
}

function validateProbes(c: Container, gracePeriod: number | undefined, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (isRecord(c.lifecycle)) {
    for (const k of ['postStart', 'preStop'] as const) {
      const h = c.lifecycle[k];
      if (isRecord(h)) errs.push(...validateHandler(h, gracePeriod, path.child('lifecycle').child(k)));
    }
  }
  if (isRecord(c.livenessProbe)) {
    errs.push(...validateProbe(c.livenessProbe, gracePeriod, path.child('livenessProbe')));
    if (c.livenessProbe.successThreshold !== 1) errs.push(field.invalid(path.child('livenessProbe', 'successThreshold'), c.livenessProbe.successThreshold ?? 0, 'must be 1'));
  }
  if (isRecord(c.readinessProbe)) {
    errs.push(...validateProbe(c.readinessProbe, gracePeriod, path.child('readinessProbe')));
    const tg = c.readinessProbe.terminationGracePeriodSeconds;
    if (tg !== undefined && tg !== null) errs.push(field.invalid(path.child('readinessProbe', 'terminationGracePeriodSeconds'), tg, 'must not be set for readinessProbes'));
  }
  if (isRecord(c.startupProbe)) {
    errs.push(...validateProbe(c.startupProbe, gracePeriod, path.child('startupProbe')));
    if (c.startupProbe.successThreshold !== 1) errs.push(field.invalid(path.child('startupProbe', 'successThreshold'), c.startupProbe.successThreshold ?? 0, 'must be 1'));
  }
  return errs;
}

const TERMINATION_MESSAGE_POLICIES = ['File', 'FallbackToLogsOnError'];

function validateContainerCommon(c: Container, volumes: Set<string>, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const name = c.name ?? '';
  if (name.length === 0) errs.push(field.required(path.child('name'), ''));
  else errs.push(...validateDns1123Label(name, path.child('name')));
  if (!c.image) errs.push(field.required(path.child('image'), ''));
  const tmp = c.terminationMessagePolicy ?? '';
  if (tmp === '') errs.push(field.required(path.child('terminationMessagePolicy'), ''));
  else if (!TERMINATION_MESSAGE_POLICIES.includes(tmp)) errs.push(field.notSupported(path.child('terminationMessagePolicy'), tmp, TERMINATION_MESSAGE_POLICIES));
  errs.push(...validateContainerPorts(c.ports, path.child('ports')));
  errs.push(...validateEnv(c.env, path.child('env')));
  errs.push(...validateEnvFrom(c.envFrom, path.child('envFrom')));
  errs.push(...validateVolumeMounts(c.volumeMounts, volumes, path.child('volumeMounts')));
  const pp = c.imagePullPolicy ?? '';
  if (pp === '') errs.push(field.required(path.child('imagePullPolicy'), ''));
  else if (!PULL_POLICIES.includes(pp)) errs.push(field.notSupported(path.child('imagePullPolicy'), pp, PULL_POLICIES));
  errs.push(...validateResources(c.resources, path.child('resources')));
  return errs;
}

function checkHostPortConflicts(containers: readonly Container[], path: FieldPath, seen = new Set<string>()): FieldError[] {
  const errs: FieldError[] = [];
  containers.forEach((c, ci) => {
    (c.ports ?? []).forEach((p, pi) => {
      if (!p.hostPort) return;
      const key = `${p.protocol ?? ''}/${p.hostIP ?? ''}/${p.hostPort}`;
      if (seen.has(key)) errs.push(field.duplicate(path.index(ci).child('ports').index(pi).child('hostPort'), key));
      else seen.add(key);
    });
  });
  return errs;
}

function validateContainers(list: unknown, volumes: Set<string>, gracePeriod: number | undefined, path: FieldPath): FieldError[] {
  const containers = Array.isArray(list) ? list.filter((c): c is Container => isRecord(c)) : [];
  if (containers.length === 0) return [field.required(path, '')];
  const errs: FieldError[] = [];
  const names = new Set<string>();
  containers.forEach((c, i) => {
    const p = path.index(i);
    errs.push(...validateContainerCommon(c, volumes, p));
    const name = c.name ?? '';
    if (names.has(name)) errs.push(field.duplicate(p.child('name'), name));
    else names.add(name);
    errs.push(...validateProbes(c, gracePeriod, p));
    if (c.restartPolicy) errs.push(field.forbidden(p.child('restartPolicy'), 'may not be set for non-init containers'));
  });
  errs.push(...checkHostPortConflicts(containers, path));
  return errs;
}

function validateInitContainers(list: unknown, regular: unknown, volumes: Set<string>, gracePeriod: number | undefined, path: FieldPath): FieldError[] {
  const containers = Array.isArray(list) ? list.filter((c): c is Container => isRecord(c)) : [];
  const errs: FieldError[] = [];
  const names = new Set<string>();
  if (Array.isArray(regular)) for (const c of regular) if (isRecord(c) && typeof c.name === 'string') names.add(c.name);
  containers.forEach((c, i) => {
    const p = path.index(i);
    errs.push(...validateContainerCommon(c, volumes, p));
    let restartAlways = false;
    if (c.restartPolicy !== undefined && c.restartPolicy !== null) {
      if (c.restartPolicy !== 'Always') errs.push(field.notSupported(p.child('restartPolicy'), c.restartPolicy, ['Always']));
      restartAlways = c.restartPolicy === 'Always';
    }
    const name = c.name ?? '';
    if (names.has(name)) errs.push(field.duplicate(p.child('name'), name));
    else if (name.length > 0) names.add(name);
    errs.push(...checkHostPortConflicts([c], path));
    if (restartAlways) {
      errs.push(...validateProbes(c, gracePeriod, p));
    } else {
      for (const k of ['lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
        if (c[k] !== undefined && c[k] !== null) errs.push(field.forbidden(p.child(k), 'may not be set for init containers without restartPolicy=Always'));
      }
    }
  });
  return errs;
}

const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const TOLERATION_OPERATORS = ['Equal', 'Exists'];
export const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

export function validateTaintEffect(effect: string, allowEmpty: boolean, path: FieldPath): FieldError[] {
  if (!allowEmpty && effect === '') return [field.required(path, '')];
  return TAINT_EFFECTS.includes(effect) ? [] : [field.notSupported(path, effect, TAINT_EFFECTS)];
}

export function validateTolerations(tolerations: readonly Toleration[] | undefined, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  (tolerations ?? []).forEach((t, i) => {
    const p = path.index(i);
    const key = t.key ?? '';
    const op = t.operator ?? '';
    const value = t.value ?? '';
    const effect = t.effect ?? '';
    if (key.length > 0) errs.push(...validateLabelName(key, p.child('key')));
    if (key.length === 0 && op !== 'Exists') {
      errs.push(field.invalid(p.child('operator'), op, 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    }
    if (t.tolerationSeconds !== undefined && t.tolerationSeconds !== null && effect !== 'NoExecute') {
      errs.push(field.invalid(p.child('effect'), effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
    switch (op) {
      case 'Equal': case '': {
        const msgs = isValidLabelValue(value);
        if (msgs.length > 0) errs.push(field.invalid(p.child('operator'), value, msgs.join(';')));
        break;
      }
      case 'Exists':
        if (value.length > 0) errs.push(field.invalid(p.child('operator'), value, "value must be empty when `operator` is 'Exists'"));
        break;
      default:
        errs.push(field.notSupported(p.child('operator'), op, TOLERATION_OPERATORS));
    }
    if (effect.length > 0) errs.push(...validateTaintEffect(effect, true, p.child('effect')));
  });
  return errs;
}

function validateDnsConfig(spec: PodSpec, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const cfg = spec.dnsConfig;
  if (spec.dnsPolicy === 'None') {
    if (!isRecord(cfg)) return [field.required(path, 'must provide `dnsConfig` when `dnsPolicy` is None')];
    if ((cfg.nameservers ?? []).length === 0) return [field.required(path.child('nameservers'), 'must provide at least one DNS nameserver when `dnsPolicy` is None')];
  }
  if (!isRecord(cfg)) return errs;
  const ns = cfg.nameservers ?? [];
  if (ns.length > 3) errs.push(field.invalid(path.child('nameservers'), ns, 'must not have more than 3 nameservers'));
  ns.forEach((n, i) => errs.push(...isValidIP(path.child('nameservers').index(i), n)));
  const searches = cfg.searches ?? [];
  if (searches.length > 32) errs.push(field.invalid(path.child('searches'), searches, 'must not have more than 32 search paths'));
  if (utf8Length(searches.join(' ')) > 2048) {
    errs.push(field.invalid(path.child('searches'), searches, 'must not have more than 2048 characters (including spaces) in the search list'));
  }
  // 1.32 enables RelaxedDNSSearchValidation? No: it is alpha in 1.32, so searches are strict subdomains.
  searches.forEach((s, i) => errs.push(...validateDns1123Subdomain(s.endsWith('.') ? s.slice(0, -1) : s, path.child('searches').index(i))));
  (cfg.options ?? []).forEach((o, i) => {
    if (!o.name) errs.push(field.required(path.child('options').index(i), 'must not be empty'));
  });
  return errs;
}

const WHEN_UNSATISFIABLE = ['DoNotSchedule', 'ScheduleAnyway'];

function validateTopologySpread(spec: PodSpec, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const list = spec.topologySpreadConstraints ?? [];
  list.forEach((c, i) => {
    const p = path.index(i);
    if ((c.maxSkew ?? 0) <= 0) errs.push(field.invalid(p.child('maxSkew'), c.maxSkew ?? 0, 'must be greater than zero'));
    if (!c.topologyKey) errs.push(field.required(p.child('topologyKey'), 'can not be empty'));
    if (!WHEN_UNSATISFIABLE.includes(c.whenUnsatisfiable ?? '')) errs.push(field.notSupported(p.child('whenUnsatisfiable'), c.whenUnsatisfiable ?? '', WHEN_UNSATISFIABLE));
    for (const rest of list.slice(i + 1)) {
      if (rest.topologyKey === c.topologyKey && rest.whenUnsatisfiable === c.whenUnsatisfiable) {
        errs.push(field.duplicate(p.child('{topologyKey, whenUnsatisfiable}'), `{${c.topologyKey ?? ''}, ${c.whenUnsatisfiable ?? ''}}`));
        break;
      }
    }
    if (c.minDomains !== undefined && c.minDomains !== null) {
      if (c.minDomains <= 0) errs.push(field.invalid(p.child('minDomains'), c.minDomains, 'must be greater than zero'));
      if (c.whenUnsatisfiable !== 'DoNotSchedule') {
        errs.push(field.invalid(p.child('minDomains'), c.minDomains, `can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ${c.whenUnsatisfiable ?? ''}`));
      }
    }
    errs.push(...validateLabelSelector(c.labelSelector, {}, p.child('labelSelector')));
  });
  return errs;
}

/** ValidatePodSpec, with upstream's order of checks. */
export function validatePodSpec(spec: PodSpec, path: FieldPath, opts: PodSpecValidationOptions): FieldError[] {
  const errs: FieldError[] = [];
  const grace = spec.terminationGracePeriodSeconds;
  if (grace === undefined || grace === null) errs.push(field.required(path.child('terminationGracePeriodSeconds'), ''));
  const gracePeriod = grace ?? undefined;
  const { names: volumes, errs: volErrs } = validateVolumes(spec.volumes, path.child('volumes'));
  errs.push(...volErrs);
  errs.push(...validateContainers(spec.containers, volumes, gracePeriod, path.child('containers')));
  errs.push(...validateInitContainers(spec.initContainers, spec.containers, volumes, gracePeriod, path.child('initContainers')));
  if (spec.hostNetwork === true) {
    (spec.containers ?? []).forEach((c, i) => {
      (c.ports ?? []).forEach((port, j) => {
        const hp = port.hostPort ?? 0;
        if ((opts.isPod || hp !== 0) && hp !== port.containerPort) {
          errs.push(field.invalid(path.child('containers').index(i).child('ports').index(j).child('hostPort'), hp, 'must match `containerPort` when `hostNetwork` is true'));
        }
      });
    });
  }
  const rp = spec.restartPolicy ?? '';
  if (rp === '') errs.push(field.required(path.child('restartPolicy'), ''));
  else if (!RESTART_POLICIES.includes(rp)) errs.push(field.notSupported(path.child('restartPolicy'), rp, RESTART_POLICIES));
  const dp = spec.dnsPolicy ?? '';
  if (dp === '') errs.push(field.required(path.child('dnsPolicy'), ''));
  else if (!DNS_POLICIES.includes(dp)) errs.push(field.notSupported(path.child('dnsPolicy'), dp, DNS_POLICIES));
  errs.push(...validateLabels(spec.nodeSelector, path.child('nodeSelector')));
  const sc = spec.securityContext;
  if (isRecord(sc)) {
    for (const k of ['runAsUser', 'runAsGroup', 'fsGroup'] as const) {
      const v = sc[k];
      if (typeof v === 'number' && (v < 0 || v > MAX_INT32)) errs.push(field.invalid(path.child('securityContext', k), v, inclusiveRangeError(0, MAX_INT32)));
    }
  }
  (spec.imagePullSecrets ?? []).forEach((s, i) => {
    if (isRecord(s) && Object.keys(s).some((k) => k !== 'name')) errs.push(field.invalid(path.child('imagePullSecrets').index(i), s, 'only name may be set'));
  });
  errs.push(...validateDnsConfig(spec, path.child('dnsConfig')));
  (spec.readinessGates ?? []).forEach((g, i) => {
    const p = path.child('readinessGates').index(i).child('conditionType');
    errs.push(...isQualifiedName(g.conditionType ?? '').map((m) => field.invalid(p, g.conditionType ?? '', m)));
  });
  const gates = new Set<string>();
  (spec.schedulingGates ?? []).forEach((g, i) => {
    const p = path.child('schedulingGates').index(i);
    errs.push(...isQualifiedName(g.name ?? '').map((m) => field.invalid(p, g.name ?? '', m)));
    if (gates.has(g.name ?? '')) errs.push(field.duplicate(p, g.name ?? ''));
    gates.add(g.name ?? '');
  });
  errs.push(...validateTopologySpread(spec, path.child('topologySpreadConstraints')));
  if (spec.serviceAccountName) errs.push(...validateDns1123Subdomain(spec.serviceAccountName, path.child('serviceAccountName')));
  if (spec.nodeName) errs.push(...validateDns1123Subdomain(spec.nodeName, path.child('nodeName')));
  const ads = spec.activeDeadlineSeconds;
  if (ads !== undefined && ads !== null && (ads < 1 || ads > MAX_INT32)) {
    errs.push(field.invalid(path.child('activeDeadlineSeconds'), ads, inclusiveRangeError(1, MAX_INT32)));
  }
  if (spec.hostname) errs.push(...validateDns1123Label(spec.hostname, path.child('hostname')));
  if (spec.subdomain) errs.push(...validateDns1123Label(spec.subdomain, path.child('subdomain')));
  errs.push(...validateTolerations(spec.tolerations, path.child('tolerations')));
  (spec.hostAliases ?? []).forEach((a, i) => {
    const p = path.child('hostAliases').index(i);
    errs.push(...isValidIP(p.child('ip'), a.ip ?? ''));
    (a.hostnames ?? []).forEach((h, j) => errs.push(...validateDns1123Subdomain(h, p.child('hostnames').index(j))));
  });
  if (spec.priorityClassName) errs.push(...validateDns1123Subdomain(spec.priorityClassName, path.child('priorityClassName')));
  if (spec.runtimeClassName !== undefined && spec.runtimeClassName !== null) {
    errs.push(...validateDns1123Subdomain(spec.runtimeClassName, path.child('runtimeClassName')));
  }
  const pp = spec.preemptionPolicy;
  if (pp !== undefined && pp !== null) {
    if (pp === '') errs.push(field.required(path.child('preemptionPolicy'), ''));
    else if (pp !== 'PreemptLowerPriority' && pp !== 'Never') errs.push(field.notSupported(path.child('preemptionPolicy'), pp, ['PreemptLowerPriority', 'Never']));
  }
  if (isRecord(spec.os)) {
    if (!spec.os.name) errs.push(field.required(path.child('os', 'name'), 'cannot be empty'));
    else if (spec.os.name !== 'linux' && spec.os.name !== 'windows') errs.push(field.notSupported(path.child('os'), spec.os.name, ['linux', 'windows']));
  }
  if (opts.isPod) {
    for (const k of ['containers', 'initContainers'] as const) {
      (spec[k] ?? []).forEach((c, i) => {
        const image = c.image ?? '';
        if (image.trim().length !== image.length) {
          errs.push(field.invalid(path.child(k).index(i).child('image'), image, 'must not have leading or trailing whitespace'));
        }
      });
    }
  }
  return errs;
}

/** ValidatePodTemplateSpec: template labels and annotations, then the spec. */
export function validatePodTemplateSpec(t: PodTemplateSpec | undefined, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const meta = isRecord(t?.metadata) ? t!.metadata : {};
  errs.push(...validateLabels(meta.labels, path.child('labels')));
  errs.push(...validateAnnotations(meta.annotations, path.child('annotations')));
  const spec: PodSpec = isRecord(t?.spec) ? t!.spec : { containers: [] };
  errs.push(...validatePodSpec(spec, path.child('spec'), { isPod: false }));
  if ((spec.ephemeralContainers ?? []).length > 0) {
    errs.push(field.forbidden(path.child('spec', 'ephemeralContainers'), 'ephemeral containers not allowed in pod template'));
  }
  return errs;
}

/** The root path of a pod's spec, for callers that validate a bare PodSpec. */
export const SPEC_PATH = fieldPath('spec');
