// Parses a request path and method into what Kubernetes calls RequestInfo: is it a resource
// request, and if so which group/version/namespace/resource/name/subresource and verb.
//   /api/v1/namespaces/ns/pods/name/status      /apis/apps/v1/deployments
//   /api/v1/namespaces/ns                        (the namespace object itself)
//   /api/v1/watch/namespaces/ns/pods             (legacy watch path)

export type ResourceVerb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

export interface ResourceRequest {
  group: string;
  version: string;
  namespace: string;
  resource: string;
  name: string;
  subresource: string;
  verb: ResourceVerb;
}

function isWatchParam(v: string | null): boolean {
  return v === 'true' || v === '1';
}

/** Undefined for non-resource paths (discovery, health, openapi, ...). */
export function parseResourceRequest(method: string, pathname: string, query: URLSearchParams): ResourceRequest | undefined {
  const parts = pathname.split('/').filter((p) => p !== '').map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 3) {
    group = '';
    version = parts[1]!;
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    group = parts[1]!;
    version = parts[2]!;
    rest = parts.slice(3);
  } else {
    return undefined;
  }
  let legacyWatch = false;
  if (rest[0] === 'watch') {
    legacyWatch = true;
    rest = rest.slice(1);
  }
  let namespace = '';
  // /namespaces/{ns}/{resource}/... is namespaced; /namespaces[/{name}[/status|finalize]] is the namespace itself.
  if (rest[0] === 'namespaces' && rest.length >= 3 && !(rest.length === 3 && (rest[2] === 'status' || rest[2] === 'finalize'))) {
    namespace = rest[1]!;
    rest = rest.slice(2);
  }
  const [resource = '', name = '', subresource = '', ...extra] = rest;
  if (resource === '' || extra.length > 0) return undefined;
  let verb: ResourceVerb;
  const m = method.toUpperCase();
  if (legacyWatch || ((m === 'GET' || m === 'HEAD') && isWatchParam(query.get('watch')))) verb = 'watch';
  else if (m === 'GET' || m === 'HEAD') verb = name ? 'get' : 'list';
  else if (m === 'POST') verb = 'create';
  else if (m === 'PUT') verb = 'update';
  else if (m === 'PATCH') verb = 'patch';
  else if (m === 'DELETE') verb = name ? 'delete' : 'deletecollection';
  else return { group, version, namespace, resource, name, subresource, verb: 'get' };
  return { group, version, namespace, resource, name, subresource, verb };
}
