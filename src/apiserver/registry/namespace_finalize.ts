// PUT namespaces/<name>/finalize: the namespace controller's way to remove the `kubernetes`
// finalizer once a namespace is empty. Only spec.finalizers comes from the body; everything else
// stays as stored. With deletionTimestamp set and no finalizers left, the store then removes it.
import { invalid } from '../../api/errors.js';
import type { GenericStore, WriteOptions } from './generic_store.js';
import { validateNamespaceFinalize } from './strategies/namespaces.js';
import type { KubeObject } from './strategy.js';

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

export async function finalizeNamespace(namespaces: GenericStore, name: string, body: unknown, opts: WriteOptions = {}): Promise<KubeObject> {
  const spec = isRecord(body) && isRecord(body.spec) ? body.spec : {};
  const finalizers = Array.isArray(spec.finalizers) ? spec.finalizers : [];
  const errs = validateNamespaceFinalize({ spec: { finalizers } });
  if (errs.length > 0) throw invalid({ group: '', kind: 'Namespace' }, name, errs);
  const { object } = await namespaces.update(
    '',
    name,
    (current) => ({ ...current, spec: { ...(isRecord(current.spec) ? current.spec : {}), finalizers } }),
    { ...opts, bypassStrategy: true, managedSubresource: 'finalize' },
  );
  return object;
}
