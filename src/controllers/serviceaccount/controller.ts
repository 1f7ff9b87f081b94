// The service account controller (upstream's `serviceaccount`): every active namespace has a
// ServiceAccount named `default`. A namespace that appears or changes is checked; a deleted
// `default` account queues its namespace again, so it is re-created. Namespaces that are not
// Active (Terminating) are left alone, and a create refused because the namespace is being
// terminated is not an error. The check reads the informer caches; the create is the only write.
import type { Namespace, ServiceAccount } from 'kubernetes-types/core/v1.js';
import { isApiError } from '../../api/errors.js';
import { isAlreadyExists, type ResourceRef } from '../../client/resource_client.js';
import { WorkQueue, defaultControllerRateLimiter, runWorkers } from '../../client/workqueue.js';
import type { Informer } from '../../client/informer.js';
import type { Controller } from '../controller.js';

/** The accounts ensured in every namespace (upstream's default options). */
export const SERVICE_ACCOUNTS_TO_ENSURE: readonly string[] = ['default'];

const NAMESPACES: ResourceRef = { group: '', version: 'v1', plural: 'namespaces', namespaced: false };
const SERVICE_ACCOUNTS: ResourceRef = { group: '', version: 'v1', plural: 'serviceaccounts', namespaced: true };

/** The 403 a create in a terminating namespace meets (upstream: the NamespaceTerminating cause). */
function isNamespaceTerminating(err: unknown): boolean {
  if (!isApiError(err) || err.code !== 403) return false;
  if (err.details?.causes?.some((c) => c.reason === 'NamespaceTerminating')) return true;
  return /because it is being terminated/.test(err.message);
}

export function serviceAccountController(): Controller {
  let queue: WorkQueue<string> | undefined;
  let namespaces: Informer<Namespace> | undefined;
  let accounts: Informer<ServiceAccount> | undefined;
  return {
    name: 'serviceaccount',
    setup(ctx) {
      const q = new WorkQueue<string>({ clock: ctx.clock, rateLimiter: defaultControllerRateLimiter(ctx.clock), name: 'serviceaccount' });
      queue = q;
      namespaces = ctx.factory.informerFor<Namespace>(NAMESPACES);
      accounts = ctx.factory.informerFor<ServiceAccount>(SERVICE_ACCOUNTS);
      const enqueue = (ns: Namespace): void => {
        if (ns.metadata?.name) q.add(ns.metadata.name);
      };
      namespaces.addEventHandler({ onAdd: enqueue, onUpdate: (_old, ns) => enqueue(ns) });
      accounts.addEventHandler({
        onDelete: (sa) => {
          const ns = sa.metadata?.namespace;
          if (ns && SERVICE_ACCOUNTS_TO_ENSURE.includes(sa.metadata?.name ?? '')) q.add(ns);
        },
      });
    },
    async run(ctx, signal) {
      if (!queue || !namespaces || !accounts) throw new Error('serviceaccount: run before setup');
      const nsInformer = namespaces;
      const saInformer = accounts;
      const client = ctx.source.resource<ServiceAccount>(SERVICE_ACCOUNTS);
      const workers = Number(ctx.options.concurrentServiceaccountSyncs ?? 1);
      await runWorkers(
        queue,
        workers,
        async (name) => {
          const ns = nsInformer.get('', name);
          if (!ns || ns.status?.phase !== 'Active') return;
          const failures: string[] = [];
          for (const saName of SERVICE_ACCOUNTS_TO_ENSURE) {
            if (saInformer.get(name, saName)) continue;
            try {
              await client.create(name, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: saName, namespace: name } });
            } catch (err) {
              if (isAlreadyExists(err) || isNamespaceTerminating(err)) continue;
              failures.push(err instanceof Error ? err.message : String(err));
            }
          }
          if (failures.length > 0) throw new Error(failures.join('; '));
        },
        signal,
        { onError: (name, err) => ctx.onError(new Error(`serviceaccount: namespace ${name}: ${err instanceof Error ? err.message : String(err)}`)) },
      );
    },
  };
}
