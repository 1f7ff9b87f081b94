// The in-process face of the API server for components in the same process (scheduler,
// controllers in `capstan server`, `capstan sim`): the client's LocalClient over our stores,
// with the same subresources the HTTP routes serve. Writes keep every store rule (validation,
// concurrency, managedFields); what HTTP adds on top (body decoding, fieldValidation, auth) is
// for bytes from outside, which in-process callers do not send.
import { ApiError } from '../api/errors.js';
import type { LocalApi, LocalStore } from '../client/local.js';
import { applyPatch } from './patch.js';
import type { GenericStore } from './registry/generic_store.js';
import { bindPod, bindingCreated } from './registry/pod_binding.js';
import { finalizeNamespace } from './registry/namespace_finalize.js';
import { getScale, updateScale } from './registry/scale.js';

function noSuch(sub: string): ApiError {
  return new ApiError({ code: 404, reason: 'NotFound', message: `the server could not find the requested resource (${sub})`, details: {} });
}

export function localApi(stores: ReadonlyMap<string, GenericStore>): LocalApi {
  const store = (group: string, version: string, plural: string): GenericStore | undefined => stores.get(`${group}/${version}/${plural}`);
  return {
    store: (group, version, plural) => store(group, version, plural) as LocalStore | undefined,
    applyPatch,
    subresource: async (req) => {
      const s = store(req.resource.group, req.resource.version, req.resource.plural);
      if (!s) throw noSuch(req.subresource);
      const opts = { dryRun: req.options.dryRun, fieldManager: req.options.fieldManager };
      if (req.subresource === 'binding' && req.method === 'POST') {
        await bindPod(s, req.namespace, req.name, req.body, opts);
        return bindingCreated();
      }
      if (req.subresource === 'finalize' && req.method === 'PUT') return finalizeNamespace(s, req.name, req.body, opts);
      if (req.subresource === 'scale') {
        if (req.method === 'GET') return getScale(s, req.namespace, req.name);
        if (req.method === 'PUT') return updateScale(s, req.namespace, req.name, () => req.body, { ...opts, managedSubresource: 'scale' });
      }
      throw noSuch(req.subresource);
    },
  };
}
