// Discovery documents, as pure functions of the resource table (src/api/resources.ts): /version,
// /api, /apis, /apis/<group>, /api/v1 and /apis/<group>/<version>, plus the aggregated discovery
// form (apidiscovery.k8s.io/v2 APIGroupDiscoveryList) that kubectl 1.27+ asks for first. The HTTP
// server maps routes onto these; `discoveryResponse` also does the Accept negotiation for /api and
// /apis, because kubectl rejects a body whose Content-Type does not say which form it is.

import { createHash } from 'node:crypto';
import type { APIGroup, APIGroupList, APIResource, APIResourceList, APIVersions } from 'kubernetes-types/meta/v1.js';
import type { Info } from 'kubernetes-types/version.js';
import {
  apiGroups,
  groupVersionString,
  resourcesInGroupVersion,
  type GroupInfo,
  type ResourceInfo,
} from '../api/resources.js';
import { parseAccept } from './accept.js';

/** The Kubernetes version Capstan reports and is tested against. */
export const KUBERNETES_MAJOR = '1';
export const KUBERNETES_MINOR = '32';
export const SERVER_GIT_VERSION = `v${KUBERNETES_MAJOR}.${KUBERNETES_MINOR}.0+capstan`;

// ---- /version --------------------------------------------------------------------------------

export interface VersionOptions {
  /** RFC 3339 build time; defaults to the time this module was loaded. */
  buildDate?: string;
  gitCommit?: string;
}

const LOADED_AT = new Date().toISOString().replace(/\.\d+Z$/, 'Z');

/** Node's architecture names mapped onto Go's, which clients expect in `platform`. */
function goArch(arch: string): string {
  const names: Record<string, string> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' };
  return names[arch] ?? arch;
}

/** The body of GET /version. */
export function versionInfo(options: VersionOptions = {}): Info {
  return {
    major: KUBERNETES_MAJOR,
    minor: KUBERNETES_MINOR,
    gitVersion: SERVER_GIT_VERSION,
    gitCommit: options.gitCommit ?? '',
    gitTreeState: 'clean',
    buildDate: options.buildDate ?? LOADED_AT,
    // Clients only print this; the runtime plays the part Go plays upstream.
    goVersion: `node${process.versions.node}`,
    compiler: 'tsc',
    platform: `${process.platform}/${goArch(process.arch)}`,
  };
}

// ---- Legacy discovery ------------------------------------------------------------------------

export interface ApiVersionsOptions {
  /** host:port clients reached us at; reported for every client CIDR as upstream does. */
  serverAddress?: string;
}

/** The body of GET /api. */
export function apiVersions(options: ApiVersionsOptions = {}): APIVersions {
  const core = apiGroups().find((g) => g.name === '');
  return {
    kind: 'APIVersions',
    versions: core ? [...core.versions] : [],
    serverAddressByClientCIDRs: options.serverAddress ? [{ clientCIDR: '0.0.0.0/0', serverAddress: options.serverAddress }] : [],
  };
}

function groupEntry(g: GroupInfo): APIGroup {
  return {
    name: g.name,
    versions: g.versions.map((v) => ({ groupVersion: `${g.name}/${v}`, version: v })),
    preferredVersion: { groupVersion: `${g.name}/${g.preferredVersion}`, version: g.preferredVersion },
  };
}

/** The body of GET /apis: every named group (the core group is under /api). */
export function apiGroupList(): APIGroupList {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: apiGroups().filter((g) => g.name !== '').map(groupEntry),
  };
}

/** The body of GET /apis/<group>, or undefined when the group is not served. */
export function apiGroup(name: string): APIGroup | undefined {
  const g = name === '' ? undefined : apiGroups().find((x) => x.name === name);
  return g ? { kind: 'APIGroup', apiVersion: 'v1', ...groupEntry(g) } : undefined;
}

/** An opaque per-kind hash, stable across restarts (clients compare it only for equality). */
function storageVersionHash(r: ResourceInfo): string {
  return createHash('sha256').update(`${r.group}/${r.version}/${r.kind}`).digest().subarray(0, 8).toString('base64');
}

function sortedResources(group: string, version: string): ResourceInfo[] {
  return [...resourcesInGroupVersion(group, version)].sort((a, b) => (a.plural < b.plural ? -1 : a.plural > b.plural ? 1 : 0));
}

/**
 * The body of GET /api/v1 or /apis/<group>/<version>: each resource followed by its subresources
 * (`pods`, `pods/attach`, …, `pods/status`), or undefined when the group version is not served.
 */
export function apiResourceList(group: string, version: string): APIResourceList | undefined {
  const list = sortedResources(group, version);
  if (list.length === 0) return undefined;
  const resources: APIResource[] = [];
  for (const r of list) {
    const entry: APIResource = {
      name: r.plural,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: [...r.verbs],
      storageVersionHash: storageVersionHash(r),
    };
    if (r.shortNames.length > 0) entry.shortNames = [...r.shortNames];
    if (r.categories.length > 0) entry.categories = [...r.categories];
    resources.push(entry);
    for (const s of [...r.subresources].sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const sub: APIResource = { name: `${r.plural}/${s.name}`, singularName: '', namespaced: r.namespaced, kind: s.kind, verbs: [...s.verbs] };
      if (s.group !== undefined) sub.group = s.group;
      if (s.version !== undefined) sub.version = s.version;
      resources.push(sub);
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: groupVersionString(group, version), resources };
}

// ---- Aggregated discovery (apidiscovery.k8s.io/v2) -------------------------------------------
// kubernetes-types 1.30 does not ship the apidiscovery group, so its shapes are declared here.

export interface GroupVersionKindRef {
  group: string;
  version: string;
  kind: string;
}

export interface APISubresourceDiscovery {
  subresource: string;
  responseKind: GroupVersionKindRef;
  verbs: string[];
}

export interface APIResourceDiscovery {
  resource: string;
  responseKind: GroupVersionKindRef;
  scope: 'Namespaced' | 'Cluster';
  singularResource: string;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
  subresources?: APISubresourceDiscovery[];
}

export interface APIVersionDiscovery {
  version: string;
  resources: APIResourceDiscovery[];
  freshness: 'Current' | 'Stale';
}

export interface APIGroupDiscovery {
  metadata: { name?: string; creationTimestamp: null };
  versions: APIVersionDiscovery[];
}

export interface APIGroupDiscoveryList {
  kind: 'APIGroupDiscoveryList';
  apiVersion: 'apidiscovery.k8s.io/v2' | 'apidiscovery.k8s.io/v2beta1';
  metadata: Record<string, never>;
  items: APIGroupDiscovery[];
}

export type AggregatedVersion = 'v2' | 'v2beta1';

function resourceDiscovery(r: ResourceInfo): APIResourceDiscovery {
  const out: APIResourceDiscovery = {
    resource: r.plural,
    responseKind: { group: r.group, version: r.version, kind: r.kind },
    scope: r.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: r.singular,
    verbs: [...r.verbs],
  };
  if (r.shortNames.length > 0) out.shortNames = [...r.shortNames];
  if (r.categories.length > 0) out.categories = [...r.categories];
  if (r.subresources.length > 0) {
    out.subresources = [...r.subresources]
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map((s) => ({
        subresource: s.name,
        responseKind: { group: s.group ?? r.group, version: s.version ?? r.version, kind: s.kind },
        verbs: [...s.verbs],
      }));
  }
  return out;
}

/**
 * The aggregated discovery document for /api (the core group only) or /apis (every named group),
 * versions preferred first within each group.
 */
export function aggregatedDiscovery(root: '/api' | '/apis', version: AggregatedVersion = 'v2'): APIGroupDiscoveryList {
  const groups = apiGroups().filter((g) => (root === '/api' ? g.name === '' : g.name !== ''));
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: `apidiscovery.k8s.io/${version}`,
    metadata: {},
    items: groups.map((g) => ({
      metadata: g.name === '' ? { creationTimestamp: null } : { name: g.name, creationTimestamp: null },
      versions: g.versions.map((v) => ({
        version: v,
        resources: sortedResources(g.name, v).map(resourceDiscovery),
        freshness: 'Current' as const,
      })),
    })),
  };
}

// ---- Content negotiation for /api and /apis ------------------------------------------------

export const LEGACY_DISCOVERY_CONTENT_TYPE = 'application/json';

export function aggregatedContentType(version: AggregatedVersion): string {
  return `application/json;g=apidiscovery.k8s.io;v=${version};as=APIGroupDiscoveryList`;
}

export type DiscoveryForm =
  | { form: 'aggregated'; version: AggregatedVersion; contentType: string }
  | { form: 'legacy'; contentType: string }
  | { form: 'not-acceptable' };


/**
 * Picks the discovery form for /api or /apis from an Accept header. Aggregated when the client
 * names it (as kubectl does), the legacy APIVersions/APIGroupList for plain JSON or no header.
 */
export function negotiateDiscovery(accept: string | undefined): DiscoveryForm {
  if (accept === undefined || accept.trim() === '') return { form: 'legacy', contentType: LEGACY_DISCOVERY_CONTENT_TYPE };
  for (const m of parseAccept(accept)) {
    const jsonish = m.type === 'application/json' || m.type === 'application/*' || m.type === '*/*';
    if (!jsonish) continue; // protobuf discovery is not served; a later range may still match
    const as = m.params.get('as');
    if (as === undefined) {
      // Plain JSON, unless the range pins some other group/version (then it is not for us).
      if (!m.params.has('g') && !m.params.has('v')) return { form: 'legacy', contentType: LEGACY_DISCOVERY_CONTENT_TYPE };
      continue;
    }
    const v = m.params.get('v');
    if (as === 'APIGroupDiscoveryList' && m.params.get('g') === 'apidiscovery.k8s.io' && (v === 'v2' || v === 'v2beta1')) {
      return { form: 'aggregated', version: v, contentType: aggregatedContentType(v) };
    }
  }
  return { form: 'not-acceptable' };
}

export interface DiscoveryResponse {
  status: 200 | 406;
  contentType: string;
  /** Serialized body. */
  body: string;
  /** Strong ETag of the body (aggregated discovery is cached by clients by ETag). */
  etag: string;
}

const responseCache = new Map<string, DiscoveryResponse>();

function cachedJson(key: string, status: 200 | 406, contentType: string, make: () => unknown): DiscoveryResponse {
  const hit = responseCache.get(key);
  if (hit) return hit;
  const body = JSON.stringify(make());
  const etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 32).toUpperCase()}"`;
  const res: DiscoveryResponse = { status, contentType, body, etag };
  responseCache.set(key, res);
  return res;
}

/**
 * The full answer to GET /api or GET /apis for a given Accept header. Responses vary by Accept, so
 * the server should send `Vary: Accept`. `options` only affects the legacy /api form.
 */
export function discoveryResponse(root: '/api' | '/apis', accept: string | undefined, options: ApiVersionsOptions = {}): DiscoveryResponse {
  const form = negotiateDiscovery(accept);
  if (form.form === 'not-acceptable') {
    return cachedJson('406', 406, 'application/json', () => ({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'only the following media types are accepted: application/json, ' + aggregatedContentType('v2'),
      reason: 'NotAcceptable',
      code: 406,
    }));
  }
  if (form.form === 'aggregated') {
    return cachedJson(`${root} ${form.version}`, 200, form.contentType, () => aggregatedDiscovery(root, form.version));
  }
  if (root === '/apis') return cachedJson('/apis legacy', 200, form.contentType, apiGroupList);
  return cachedJson(`/api legacy ${options.serverAddress ?? ''}`, 200, form.contentType, () => apiVersions(options));
}
