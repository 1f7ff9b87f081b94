// The API server: Kubernetes REST + watch over the storage Backend, on node:http.
// Request flow: parse path -> authenticate/authorize (a seam that admits everyone until the
// security issue) -> discovery/openapi/health, or a resource handler that decodes the body,
// checks fields (fieldValidation), and calls the resource's GenericStore. Every error leaves as
// a metav1.Status with the upstream code and reason.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { DeleteOptions } from 'kubernetes-types/meta/v1.js';
import YAML from 'yaml';
import { ApiError, badRequest, internalError, isApiError, methodNotSupported, notAcceptable, notFound, forbidden } from '../api/errors.js';
import { RESOURCES, groupVersionString, lookupResource, type ResourceInfo } from '../api/resources.js';
import { fieldValidationProblems, strictDecodingMessage } from '../api/schema_check.js';
import { decodeAgainstSchema } from '../api/schema_decode.js';
import type { Backend } from '../storage/backend.js';
import { apiGroup, apiResourceList, discoveryResponse, versionInfo } from './discovery.js';
import { openapiV2, openapiV3GroupVersion, openapiV3Root } from './openapi.js';
import { OPENAPI_V2_PROTOBUF_CONTENT_TYPE, negotiateOpenAPIV2, openapiV2ProtobufDocument } from '../api/protobuf/openapi_v2.js';
import { PATCH_CONTENT_TYPES, applyPatch } from './patch.js';
import { managerFromUserAgent, validatePatchOptions } from './apply/index.js';

const APPLY_PATCH_TYPE = 'application/apply-patch+yaml';
import { GenericStore, type KubeObjectList, type ListOptions, type WriteOptions } from './registry/generic_store.js';
import { ServiceAllocator, ensureKubernetesService } from './registry/service_alloc.js';
import type { KubeObject } from './registry/strategy.js';
import { getScale, updateScale } from './registry/scale.js';
import { bindPod, bindingCreated } from './registry/pod_binding.js';
import { finalizeNamespace } from './registry/namespace_finalize.js';
import { SYSTEM_PRIORITY_CLASSES, admitPodPriority } from './admission/priority.js';
import { admitDefaultTolerations } from './admission/default_tolerations.js';
import { nameValidatorFor, strategyFor } from './registry/strategies/registry.js';
import { parseResourceRequest, type ResourceRequest } from './request_info.js';
import { KubeletProxy, kubeletRequestInfo, matchKubeletTarget, upgradeNotSupported, writeStatusResponse } from './kubelet_proxy.js';
import { negotiateObjectForm, parseIncludeObject, toPartialObjectMetadata, toPartialObjectMetadataList, toTable, type ObjectForm } from './table.js';
import { apiserverDefaults } from './defaults.js';
import {
  PROTOBUF_CONTENT_TYPE,
  PROTOBUF_WATCH_CONTENT_TYPE,
  ProtobufDecodeError,
  ProtobufEncodeError,
  decodeObject,
  encodeObject,
  encodeWatchEvent,
  isProtobuf,
} from '../api/protobuf/codec.js';

export interface ApiServerOptions {
  backend: Backend;
  host?: string;
  port?: number;
  /** Called for errors the server answers with 500, for logging. */
  onInternalError?: (err: unknown) => void;
  bookmarkIntervalMs?: number;
  /** Whether a garbage collector runs against this server (propagationPolicy then holds objects). */
  garbageCollection?: boolean;
  /** IPv4 CIDR Services get cluster IPs from (default apiserverDefaults.serviceCidr). */
  serviceCidr?: string;
  /** `low-high` range of node ports (default apiserverDefaults.nodePortRange). */
  nodePortRange?: string;
  /** Informational messages (allocation repair at start). */
  log?: (msg: string) => void;
}

export interface ApiServerHandle {
  url: string;
  port: number;
  server: Server;
  stores: Map<string, GenericStore>;
  close(): Promise<void>;
}

/** Per-request identity and permission seam (authentication and RBAC come later). */
export interface Authorizer {
  authorize(req: IncomingMessage, info: ResourceRequest | undefined): Promise<void>;
}
const allowAll: Authorizer = { authorize: async () => undefined };

const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

function storeKey(group: string, version: string, plural: string): string {
  return `${group}/${version}/${plural}`;
}

export class ApiServer {
  readonly stores = new Map<string, GenericStore>();
  private readonly namespaces: GenericStore;
  private readonly watches = new Set<AbortController>();
  private readonly authorizer: Authorizer = allowAll;
  /** Pod log/exec/attach/portforward and node proxy: answered by the node's kubelet. */
  private readonly kubelet: KubeletProxy;
  /** Cluster IPs and node ports of Services. */
  readonly serviceAllocator: ServiceAllocator;

  constructor(private readonly options: ApiServerOptions) {
    // Throws on a malformed range before anything starts.
    this.serviceAllocator = new ServiceAllocator({
      backend: options.backend,
      serviceCidr: options.serviceCidr ?? apiserverDefaults.serviceCidr,
      nodePortRange: options.nodePortRange ?? apiserverDefaults.nodePortRange,
      log: options.log,
    });
    const serviceHooks = this.serviceAllocator.hooks();
    const checkNamespace = async (ns: string, resource: ResourceInfo, name: string): Promise<void> => {
      const nsObj = await this.namespaces.get('', ns).catch((err: unknown) => {
        if (isApiError(err) && err.code === 404) throw notFound({ group: '', resource: 'namespaces' }, ns);
        throw err;
      });
      if (nsObj.metadata?.deletionTimestamp) {
        throw forbidden({ group: resource.group, resource: resource.plural }, name, `unable to create new content in namespace ${ns} because it is being terminated`);
      }
    };
    // Mutating admission for pods, in upstream's order: DefaultTolerationSeconds, then Priority.
    const admitPod = async (obj: KubeObject): Promise<void> => {
      admitDefaultTolerations(obj as { spec?: unknown });
      await admitPodPriority(obj, this.store('scheduling.k8s.io', 'v1', 'priorityclasses')!);
    };
    const admitCreate = (r: ResourceInfo): ((obj: KubeObject) => Promise<void>) | undefined => (r.group === '' && r.kind === 'Pod' ? admitPod : undefined);
    for (const r of RESOURCES) {
      if (!r.listTypeName) continue; // create-only virtual resources (bindings) are handled by their parent
      this.stores.set(
        storeKey(r.group, r.version, r.plural),
        new GenericStore(strategyFor(r), {
          backend: options.backend,
          checkNamespace,
          nameValidator: nameValidatorFor(r),
          admitCreate: admitCreate(r),
          garbageCollection: () => options.garbageCollection === true,
          writeHooks: r.group === '' && r.kind === 'Service' ? serviceHooks : undefined,
        }),
      );
    }
    this.namespaces = this.stores.get(storeKey('', 'v1', 'namespaces'))!;
    const pods = this.stores.get(storeKey('', 'v1', 'pods'))!;
    const nodes = this.stores.get(storeKey('', 'v1', 'nodes'))!;
    this.kubelet = new KubeletProxy({ getPod: (ns, name) => pods.get(ns, name), getNode: (name) => nodes.get('', name) });
  }

  /** Creates the namespaces and priority classes every cluster has, if missing. */
  async bootstrap(): Promise<void> {
    const ensure = async (store: GenericStore, obj: KubeObject): Promise<void> => {
      try {
        await store.create('', obj);
      } catch (err) {
        if (!(isApiError(err) && err.code === 409)) throw err;
      }
    };
    for (const name of SYSTEM_NAMESPACES) await ensure(this.namespaces, { metadata: { name } });
    const classes = this.store('scheduling.k8s.io', 'v1', 'priorityclasses')!;
    for (const pc of SYSTEM_PRIORITY_CLASSES) await ensure(classes, { metadata: { name: pc.name }, value: pc.value, description: pc.description });
    // Allocation keys left behind by a crash, or missing for a Service, before any write comes in.
    await this.serviceAllocator.repair(this.store('', 'v1', 'services')!);
  }

  /** The `kubernetes` Service and its endpoints, naming this server (once it listens). */
  async ensureKubernetesService(host: string, port: number): Promise<void> {
    await ensureKubernetesService({
      services: this.store('', 'v1', 'services')!,
      endpoints: this.store('', 'v1', 'endpoints')!,
      slices: this.store('discovery.k8s.io', 'v1', 'endpointslices')!,
      allocator: this.serviceAllocator,
      host,
      port,
    });
  }

  store(group: string, version: string, plural: string): GenericStore | undefined {
    return this.stores.get(storeKey(group, version, plural));
  }

  handle = (req: IncomingMessage, res: ServerResponse): void => {
    this.route(req, res).catch((err: unknown) => this.fail(res, err));
  };

  /** The server's `upgrade` event: kubelet streams are tunnelled, every other upgrade refused. */
  handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    // An upgraded socket has no error handler of its own; a reset must not crash the server.
    socket.on('error', () => socket.destroy());
    this.upgrade(req, socket, head).catch((err: unknown) => {
      if (!isApiError(err)) this.options.onInternalError?.(err);
      writeStatusResponse(socket, isApiError(err) ? err : internalError(err));
    });
  };

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const target = matchKubeletTarget(url.pathname);
    if (!target) {
      const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
      throw parseResourceRequest(req.method ?? 'GET', path, url.searchParams) ? upgradeNotSupported() : noSuchPath();
    }
    await this.authorizer.authorize(req, kubeletRequestInfo(target, req.method ?? 'GET'));
    await this.kubelet.upgrade({ req, socket, head, target, url });
  }

  private fail(res: ServerResponse, err: unknown): void {
    const apiErr = isApiError(err) ? err : internalError(err);
    if (!isApiError(err)) this.options.onInternalError?.(err);
    if (res.headersSent) {
      res.end();
      return;
    }
    sendJson(res, apiErr.code, apiErr.toStatus());
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const kubeletTarget = matchKubeletTarget(url.pathname);
    if (kubeletTarget) {
      await this.authorizer.authorize(req, kubeletRequestInfo(kubeletTarget, req.method ?? 'GET'));
      return this.kubelet.serve({ req, res, target: kubeletTarget, url });
    }
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
    const info = parseResourceRequest(req.method ?? 'GET', path, url.searchParams);
    await this.authorizer.authorize(req, info);
    if (info) return this.resource(req, res, info, url.searchParams);
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new ApiError({ code: 405, reason: 'MethodNotAllowed', message: `the server does not allow this method on the requested resource` });
    switch (path) {
      case '/healthz':
      case '/livez':
      case '/readyz':
        res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' }).end('ok');
        return;
      case '/version':
        sendJson(res, 200, versionInfo());
        return;
      case '/api':
      case '/apis': {
        const d = discoveryResponse(path, req.headers.accept);
        res.writeHead(d.status, { 'Content-Type': d.contentType, ETag: d.etag, Vary: 'Accept' }).end(d.body);
        return;
      }
      case '/openapi/v2': {
        // kubectl before 1.27 and older client-go programs ask for the gnostic protobuf form.
        const as = negotiateOpenAPIV2(req.headers.accept);
        if (as === undefined) throw notAcceptable(['application/json', OPENAPI_V2_PROTOBUF_CONTENT_TYPE]);
        if (as === 'protobuf') {
          const doc = openapiV2ProtobufDocument();
          res.writeHead(200, { 'Content-Type': OPENAPI_V2_PROTOBUF_CONTENT_TYPE, ETag: doc.etag, 'Content-Length': doc.body.length }).end(doc.body);
          return;
        }
        sendDocument(res, openapiV2());
        return;
      }
      case '/openapi/v3':
        sendDocument(res, openapiV3Root());
        return;
    }
    if (path.startsWith('/openapi/v3/')) {
      const doc = openapiV3GroupVersion(path.slice('/openapi/v3/'.length));
      if (doc) return sendDocument(res, doc);
    }
    const parts = path.split('/').filter(Boolean);
    if (parts[0] === 'api' && parts.length === 2) {
      const list = apiResourceList('', parts[1]!);
      if (list) return sendJson(res, 200, list);
    }
    if (parts[0] === 'apis' && parts.length === 2) {
      const g = apiGroup(parts[1]!);
      if (g) return sendJson(res, 200, g);
    }
    if (parts[0] === 'apis' && parts.length === 3) {
      const list = apiResourceList(parts[1]!, parts[2]!);
      if (list) return sendJson(res, 200, list);
    }
    throw noSuchPath();
  }

  private async resource(req: IncomingMessage, res: ServerResponse, info: ResourceRequest, q: URLSearchParams): Promise<void> {
    if (info.group === '' && info.resource === 'bindings' && info.verb === 'create' && !info.name && info.namespace) {
      // The older form of pods/binding: the pod is named by the Binding's metadata.name.
      const binding = parseJson((await readBody(req)).toString('utf8'));
      const name = typeof binding === 'object' && binding !== null && !Array.isArray(binding) ? (binding as { metadata?: { name?: unknown } }).metadata?.name : undefined;
      if (typeof name !== 'string' || name === '') throw badRequest('name is required for bindings');
      await bindPod(this.store('', 'v1', 'pods')!, info.namespace, name, binding, { dryRun: parseDryRun(q), fieldManager: this.fieldManager(req, q, 'write') });
      return sendJson(res, 201, bindingCreated());
    }
    const r = lookupResource(info.group, info.version, info.resource);
    const store = r && this.store(info.group, info.version, info.resource);
    if (!r || !store) {
      throw noSuchPath();
    }
    const gr = { group: r.group, resource: r.plural };
    if (!r.namespaced && info.namespace) {
      throw noSuchPath();
    }
    const ns = info.namespace;
    const sub = info.subresource;
    const subOk =
      (sub === 'status' && store.strategy.hasStatus) ||
      (r.kind === 'Namespace' && sub === 'finalize') ||
      (sub === 'scale' && r.subresources.some((x) => x.name === 'scale')) ||
      (sub === 'binding' && r.kind === 'Pod' && r.group === '');
    if (sub && !subOk) {
      throw noSuchPath();
    }
    const dryRun = parseDryRun(q);
    // kubectl get asks for a server-side Table; client-go for protobuf; others for JSON.
    const negotiated = negotiateObjectForm(req.headers.accept, { protobuf: true });
    if (negotiated.as === 'NotAcceptable') throw notAcceptable(ACCEPTED_RESPONSE_TYPES);
    const reads = info.verb === 'get' || info.verb === 'list' || info.verb === 'watch';
    const form: ObjectForm = reads || negotiated.as === 'Object' ? negotiated : { as: 'Object', mediaType: 'application/json' };
    const protobuf = form.as === 'Object' && form.mediaType === PROTOBUF_CONTENT_TYPE;
    const send = (code: number, body: unknown): void => sendObject(res, code, body, protobuf);
    if (sub === 'scale') return this.scale(req, store, ns, info, { dryRun, fieldManager: this.fieldManager(req, q, info.verb === 'patch' ? 'patch' : 'write'), managedSubresource: 'scale' }, send);
    if (sub === 'finalize') {
      if (info.verb !== 'update') throw methodNotSupported({ group: '', resource: 'namespaces/finalize' }, info.verb);
      const body = parseJson((await readBody(req)).toString('utf8'));
      return send(200, await finalizeNamespace(store, info.name, body, { dryRun, fieldManager: this.fieldManager(req, q, 'write') }));
    }
    if (sub === 'binding') {
      if (info.verb !== 'create') throw methodNotSupported({ group: '', resource: 'pods/binding' }, info.verb);
      const binding = parseJson((await readBody(req)).toString('utf8'));
      await bindPod(store, ns, info.name, binding, { dryRun, fieldManager: this.fieldManager(req, q, 'write') });
      return sendJson(res, 201, bindingCreated());
    }
    const includeObject = parseIncludeObject(q.get('includeObject'));
    if (includeObject === undefined) throw badRequest(`includeObject: Unsupported value: "${q.get('includeObject')}": supported values: "None", "Metadata", "Object"`);
    switch (info.verb) {
      case 'get': {
        const obj = await store.get(ns, info.name);
        if (form.as === 'Object') return send(200, obj);
        if (form.as === 'Table') {
          return sendJson(res, 200, toTable(r, [obj], { includeObject, version: form.version, listMeta: { resourceVersion: obj.metadata?.resourceVersion } }), form.contentType);
        }
        if (form.as === 'PartialObjectMetadata') return sendJson(res, 200, toPartialObjectMetadata(obj, { version: form.version }), form.contentType);
        throw notAcceptable(ACCEPTED_RESPONSE_TYPES);
      }
      case 'list': {
        const list = await store.list(ns, listOptions(q));
        const listMeta = { resourceVersion: list.resourceVersion, continue: list.continue };
        if (form.as === 'Object') return send(200, listBody(r, list));
        if (form.as === 'Table') return sendJson(res, 200, toTable(r, list.items, { includeObject, version: form.version, listMeta }), form.contentType);
        if (form.as === 'PartialObjectMetadataList') return sendJson(res, 200, toPartialObjectMetadataList(list.items, { listMeta, version: form.version }), form.contentType);
        throw notAcceptable(ACCEPTED_RESPONSE_TYPES);
      }
      case 'watch':
        return this.watch(res, store, ns, info, q, form, includeObject);
      case 'create': {
        if (info.name) throw methodNotSupported(gr, 'create');
        const fieldManager = this.fieldManager(req, q, 'write');
        const obj = await this.decodeObject(req, res, r, q);
        return send(201, await store.create(ns, obj, { dryRun, fieldManager }));
      }
      case 'update': {
        const fieldManager = this.fieldManager(req, q, 'write');
        const obj = await this.decodeObject(req, res, r, q);
        const { object, created } = await store.update(ns, info.name, obj, { dryRun, fieldManager, subresource: sub === 'status' ? 'status' : undefined });
        return send(created ? 201 : 200, object);
      }
      case 'patch': {
        const ct = mediaType(req.headers['content-type']);
        const subresource = sub === 'status' ? 'status' : undefined;
        if (ct === APPLY_PATCH_TYPE) {
          // Server-side apply: the body is the applier's whole intent, in YAML or JSON.
          const fieldManager = this.fieldManager(req, q, 'apply');
          const applied = parseYaml((await readBody(req)).toString('utf8'));
          if (typeof applied !== 'object' || applied === null || Array.isArray(applied)) throw badRequest('the body of the request was in an unknown format');
          const intent = this.admitBody(res, r, applied, q, undefined);
          const force = q.get('force') === 'true';
          const { object, created } = await store.apply(ns, info.name, intent, { dryRun, fieldManager, force, subresource });
          return send(created ? 201 : 200, object);
        }
        const type = PATCH_CONTENT_TYPES[ct];
        if (!type) throw unsupportedPatchType();
        const fieldManager = this.fieldManager(req, q, 'patch');
        const patch = parseJson((await readBody(req)).toString('utf8'));
        const { object } = await store.update(
          ns,
          info.name,
          (current) => {
            const patched = applyPatch(type, current, patch);
            if (typeof patched !== 'object' || patched === null || Array.isArray(patched)) throw badRequest('patch result is not an object');
            return this.admitBody(res, r, patched, q, undefined);
          },
          { dryRun, fieldManager, subresource },
        );
        return send(200, object);
      }
      case 'delete': {
        const options = await deleteOptions(req, q);
        const { object, deleted } = await store.delete(ns, info.name, options, { dryRun: dryRun || dryRunIn(options) });
        return send(deleted ? 200 : 202, object);
      }
      case 'deletecollection': {
        if (!r.verbs.includes('deletecollection')) throw methodNotSupported(gr, 'deletecollection');
        const options = await deleteOptions(req, q);
        return send(200, listBody(r, await store.deleteCollection(ns, listOptions(q), options, { dryRun: dryRun || dryRunIn(options) })));
      }
    }
  }

  /** GET, PUT and PATCH of the scale subresource. */
  private async scale(
    req: IncomingMessage,
    store: GenericStore,
    ns: string,
    info: ResourceRequest,
    opts: WriteOptions,
    send: (code: number, body: unknown) => void,
  ): Promise<void> {
    switch (info.verb) {
      case 'get':
        return send(200, await getScale(store, ns, info.name));
      case 'update': {
        const body = parseJson((await readBody(req)).toString('utf8'));
        return send(200, await updateScale(store, ns, info.name, () => body, opts));
      }
      case 'patch': {
        const type = PATCH_CONTENT_TYPES[mediaType(req.headers['content-type'])];
        if (!type) throw unsupportedPatchType();
        const patch = parseJson((await readBody(req)).toString('utf8'));
        return send(200, await updateScale(store, ns, info.name, (cur) => applyPatch(type, cur, patch), opts));
      }
      default:
        throw methodNotSupported({ group: store.resource.group, resource: `${store.resource.plural}/scale` }, info.verb);
    }
  }

  /**
   * The field manager of a write: `?fieldManager=`, else named from the User-Agent as upstream
   * does. Apply requires one explicitly; `force` belongs to apply only.
   */
  private fieldManager(req: IncomingMessage, q: URLSearchParams, kind: 'apply' | 'patch' | 'write'): string {
    const given = q.get('fieldManager') ?? undefined;
    const err = validatePatchOptions({
      apply: kind === 'apply',
      fieldManager: kind === 'apply' ? given : (given ?? ''),
      // `force` is a PatchOptions field; creates and updates ignore it, as upstream's options do.
      force: kind === 'write' ? undefined : (q.get('force') ?? undefined),
    });
    if (err) throw err;
    return given ?? managerFromUserAgent(req.headers['user-agent']);
  }

  /** Reads and decodes a JSON or YAML object body, applying fieldValidation. */
  private async decodeObject(req: IncomingMessage, res: ServerResponse, r: ResourceInfo, q: URLSearchParams): Promise<KubeObject> {
    const ct = mediaType(req.headers['content-type']);
    const body = await readBody(req);
    let text: string | undefined;
    let obj: unknown;
    if (ct === '' || ct === 'application/json' || ct === '*/*') obj = parseJson((text = body.toString('utf8')));
    else if (ct === 'application/yaml') obj = parseYaml(body.toString('utf8'));
    else if (isProtobuf(ct)) obj = parseProtobuf(body);
    else {
      throw new ApiError({
        code: 415,
        reason: 'UnsupportedMediaType',
        message: `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, ${PROTOBUF_CONTENT_TYPE}`,
      });
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
      throw badRequest(`Object 'Kind' is missing in '${body.toString('utf8', 0, 100)}'`);
    }
    // Duplicate fields can only be seen in JSON text; protobuf and YAML bodies are checked as decoded.
    return this.admitBody(res, r, obj, q, text);
  }

  /**
   * What every written body goes through, as Kubernetes' decoding into typed structs does:
   * fieldValidation reports unknown and duplicate fields (on the body as sent), then the body is
   * decoded against the kind's schema: unknown fields pruned, nulls made zero values, and a value
   * of the wrong type refused with 400 before any defaulting or validation code sees it.
   */
  private admitBody(res: ServerResponse, r: ResourceInfo, obj: unknown, q: URLSearchParams, json: string | undefined): KubeObject {
    this.checkFields(res, r, obj, q, json);
    return decodeAgainstSchema({ group: r.group, version: r.version, kind: r.kind }, obj, { json }).object as KubeObject;
  }

  /** fieldValidation=Strict rejects unknown and duplicate fields; Warn (the default) reports them. */
  private checkFields(res: ServerResponse, r: ResourceInfo, obj: unknown, q: URLSearchParams, json: string | undefined): void {
    const mode = q.get('fieldValidation') ?? 'Warn';
    if (mode !== 'Strict' && mode !== 'Warn' && mode !== 'Ignore') {
      throw badRequest(`fieldValidation parameter unsupported: ${mode}`);
    }
    if (mode === 'Ignore') return;
    const problems = fieldValidationProblems({ gvk: { group: r.group, version: r.version, kind: r.kind }, object: obj, json });
    if (problems.length === 0) return;
    if (mode === 'Strict') throw badRequest(strictDecodingMessage(problems));
    // Header values must be Latin-1: field names in other scripts are sent as \u escapes.
    if (!res.headersSent) res.setHeader('Warning', problems.map((p) => `299 - ${JSON.stringify(p).replace(/[^\x20-\x7e]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`)}`));
  }

  private async watch(
    res: ServerResponse,
    store: GenericStore,
    ns: string,
    info: ResourceRequest,
    q: URLSearchParams,
    form: ObjectForm,
    includeObject: 'None' | 'Metadata' | 'Object',
  ): Promise<void> {
    const protobuf = form.as === 'Object' && form.mediaType === PROTOBUF_CONTENT_TYPE;
    const streamType = protobuf ? PROTOBUF_WATCH_CONTENT_TYPE : 'application/json';
    const ac = new AbortController();
    this.watches.add(ac);
    const cleanup = (): void => {
      clearTimeout(timer);
      clearInterval(bookmarkTimer);
      res.off('close', onClose);
      this.watches.delete(ac);
      ac.abort();
    };
    const timeoutSeconds = q.get('timeoutSeconds');
    const timeoutMs = timeoutSeconds ? Math.max(0, Number(timeoutSeconds)) * 1000 : apiserverDefaults.watchTimeoutMs * (1 + Math.random());
    const timer = setTimeout(() => ac.abort(), timeoutMs);
    const onClose = (): void => ac.abort();
    res.on('close', onClose);
    const bookmarks = q.get('allowWatchBookmarks') === 'true';
    let lastRv = '';
    let bookmarkTimer: NodeJS.Timeout | undefined;
    const fieldSelector = [q.get('fieldSelector') ?? '', info.name ? `metadata.name=${info.name}` : ''].filter(Boolean).join(',');
    const watchOptions = {
      labelSelector: q.get('labelSelector') ?? undefined,
      fieldSelector: fieldSelector || undefined,
      resourceVersion: q.get('resourceVersion') ?? undefined,
      resourceVersionMatch: q.get('resourceVersionMatch') ?? undefined,
      sendInitialEvents: q.has('sendInitialEvents') ? q.get('sendInitialEvents') === 'true' : undefined,
    };
    try {
      // Bad parameters are a plain 400 before the stream starts; after it starts, errors travel as ERROR events.
      store.checkWatchOptions(watchOptions);
    } catch (err) {
      cleanup();
      throw err;
    }
    const events = store.watch(ns, watchOptions, ac.signal);
    /** One event: a JSON line, or a length-prefixed protobuf frame. */
    const frame = (type: string, object: unknown): string | Buffer =>
      protobuf ? encodeWatchEvent(type, object as Record<string, unknown>) : `${JSON.stringify({ type, object })}\n`;
    const write = (type: string, object: unknown): void => {
      res.write(frame(type, object));
    };
    // Headers leave at once, as upstream: a client waiting for the response must not wait for an event.
    res.writeHead(200, { 'Content-Type': streamType, 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
    res.flushHeaders();
    if (bookmarks) {
      bookmarkTimer = setInterval(() => {
        if (lastRv) write('BOOKMARK', { kind: store.resource.kind, apiVersion: groupVersionString(store.resource.group, store.resource.version), metadata: { resourceVersion: lastRv } });
      }, this.options.bookmarkIntervalMs ?? apiserverDefaults.bookmarkIntervalMs);
      bookmarkTimer.unref();
    }
    try {
      let firstTable = true;
      for await (const batch of events) {
        // One write per batch: a commit's events leave in one chunk.
        const parts: Array<string | Buffer> = [];
        for (const ev of batch) {
          if (ev.type === 'BOOKMARK' && !bookmarks) continue;
          lastRv = ev.object.metadata?.resourceVersion ?? lastRv;
          if (form.as !== 'Object' && form.as !== 'NotAcceptable' && ev.type !== 'BOOKMARK') {
            // Tables in a watch: one row per event, the column definitions only on the first.
            const object =
              form.as === 'Table'
                ? toTable(store.resource, [ev.object], { includeObject, version: form.version, noHeaders: !firstTable, listMeta: { resourceVersion: lastRv } })
                : toPartialObjectMetadata(ev.object, { version: form.version });
            firstTable = false;
            parts.push(frame(ev.type, object));
          } else if (ev.line && !protobuf) {
            parts.push(`${ev.line}\n`);
          } else {
            parts.push(frame(ev.type, ev.object));
          }
        }
        const chunk = protobuf ? Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p))) : parts.join('');
        if (chunk.length > 0) res.write(chunk);
      }
    } catch (err) {
      if (!ac.signal.aborted) {
        // Errors after the stream starts (a compacted revision, a slow watcher) travel as an
        // ERROR event carrying a Status, which is how clients learn to relist.
        const status = (isApiError(err) ? err : internalError(err)).toStatus();
        if (!isApiError(err)) this.options.onInternalError?.(err);
        write('ERROR', status);
      }
    } finally {
      cleanup();
      res.end();
    }
  }

  /** Ends every open watch, kubelet stream and the watch caches (on shutdown). */
  closeWatches(): void {
    this.kubelet.close();
    for (const ac of this.watches) ac.abort();
    for (const store of this.stores.values()) store.close();
  }
}

export async function startApiServer(options: ApiServerOptions): Promise<ApiServerHandle> {
  const api = new ApiServer(options);
  await api.bootstrap();
  const server = createServer({ keepAlive: true }, api.handle);
  server.on('upgrade', api.handleUpgrade);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? apiserverDefaults.port, options.host ?? apiserverDefaults.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host ?? apiserverDefaults.host;
  try {
    await api.ensureKubernetesService(host, port);
  } catch (err) {
    api.closeWatches();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    throw err;
  }
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    server,
    stores: api.stores,
    close: async () => {
      api.closeWatches();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// ---- helpers --------------------------------------------------------------------------------

function sendJson(res: ServerResponse, code: number, body: unknown, contentType = 'application/json'): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text) }).end(text);
}

/** 404 for a path that names no resource or document, as upstream words it. */
function noSuchPath(): ApiError {
  return new ApiError({ code: 404, reason: 'NotFound', message: 'the server could not find the requested resource', details: {} });
}

function unsupportedPatchType(): ApiError {
  return new ApiError({
    code: 415,
    reason: 'UnsupportedMediaType',
    message: `the body of the request was in an unknown format - accepted media types include: ${[...Object.keys(PATCH_CONTENT_TYPES), APPLY_PATCH_TYPE].join(', ')}`,
  });
}

/** The types a resource response can take, for 406 messages. */
const ACCEPTED_RESPONSE_TYPES = ['application/json', 'application/yaml', PROTOBUF_CONTENT_TYPE, 'application/json;as=Table;v=v1;g=meta.k8s.io'];

/** An API object in protobuf when the client prefers it and the codec knows the kind; JSON otherwise. */
function sendObject(res: ServerResponse, code: number, body: unknown, protobuf: boolean): void {
  if (protobuf) {
    let bytes: Buffer | undefined;
    try {
      bytes = encodeObject(body as Record<string, unknown>);
    } catch (err) {
      if (!(err instanceof ProtobufEncodeError)) throw err;
    }
    if (bytes) {
      res.writeHead(code, { 'Content-Type': PROTOBUF_CONTENT_TYPE, 'Content-Length': bytes.length }).end(bytes);
      return;
    }
  }
  sendJson(res, code, body);
}

function sendDocument(res: ServerResponse, doc: { body: string; etag: string }): void {
  res.writeHead(200, { 'Content-Type': 'application/json', ETag: doc.etag, 'Content-Length': Buffer.byteLength(doc.body) }).end(doc.body);
}

function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0]!.trim().toLowerCase();
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  const limit = apiserverDefaults.maxBodyBytes;
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) {
    req.resume();
    return Promise.reject(tooLarge(limit));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function tooLarge(limit: number): ApiError {
  return new ApiError({ code: 413, reason: 'RequestEntityTooLarge', message: `Request entity too large: limit is ${limit}` });
}

/** Deeper JSON than any real object is refused before parsing (recursive code downstream would overflow). */
const MAX_JSON_DEPTH = 1000;

function checkJsonDepth(text: string): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > MAX_JSON_DEPTH) throw badRequest('json: exceeded max depth');
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
}

function parseJson(text: string): unknown {
  checkJsonDepth(text);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw badRequest(`error decoding from json: ${(err as Error).message}`);
  }
}

function parseProtobuf(body: Buffer): unknown {
  try {
    return decodeObject(body).object;
  } catch (err) {
    if (err instanceof ProtobufDecodeError) throw badRequest(`error decoding from protobuf: ${err.message}`);
    throw err;
  }
}

function parseYaml(text: string): unknown {
  checkJsonDepth(text);
  try {
    return YAML.parse(text);
  } catch (err) {
    throw badRequest(`error converting YAML to JSON: ${(err as Error).message}`);
  }
}

function parseDryRun(q: URLSearchParams): boolean {
  const values = q.getAll('dryRun');
  for (const v of values) if (v !== 'All') throw badRequest(`Invalid dryRun value: ${v}`);
  return values.length > 0;
}

/** DeleteOptions may carry dryRun in the body as well as the query (kubectl and client-go use both). */
function dryRunIn(options: DeleteOptions): boolean {
  const values = options.dryRun ?? [];
  if (!Array.isArray(values)) throw badRequest('dryRun must be a list');
  for (const v of values) if (v !== 'All') throw badRequest(`Invalid dryRun value: ${String(v)}`);
  return values.length > 0;
}

function listOptions(q: URLSearchParams): ListOptions {
  const limit = q.get('limit');
  if (limit !== null && !/^\d+$/.test(limit)) throw badRequest(`limit: Invalid value: "${limit}": must be a non-negative integer`);
  return {
    labelSelector: q.get('labelSelector') ?? undefined,
    fieldSelector: q.get('fieldSelector') ?? undefined,
    limit: limit === null ? undefined : Number(limit),
    continue: q.get('continue') ?? undefined,
    resourceVersion: q.get('resourceVersion') ?? undefined,
    resourceVersionMatch: q.get('resourceVersionMatch') ?? undefined,
  };
}

async function deleteOptions(req: IncomingMessage, q: URLSearchParams): Promise<DeleteOptions> {
  const text = (await readBody(req)).toString('utf8');
  let options: DeleteOptions = {};
  if (text.trim() !== '') {
    const parsed = parseJson(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw badRequest('DeleteOptions must be a JSON object');
    options = parsed as DeleteOptions;
  }
  const grace = q.get('gracePeriodSeconds');
  if (grace !== null) {
    if (!/^-?\d+$/.test(grace)) throw badRequest(`gracePeriodSeconds: invalid value "${grace}"`);
    options.gracePeriodSeconds = Number(grace);
  }
  const policy = q.get('propagationPolicy');
  if (policy !== null) options.propagationPolicy = policy;
  const orphan = q.get('orphanDependents');
  if (orphan !== null) options.orphanDependents = orphan === 'true';
  return options;
}

function listBody(r: ResourceInfo, list: KubeObjectList): unknown {
  const metadata: Record<string, string> = { resourceVersion: list.resourceVersion };
  if (list.continue) metadata.continue = list.continue;
  return { kind: `${r.kind}List`, apiVersion: groupVersionString(r.group, r.version), metadata, items: list.items };
}
