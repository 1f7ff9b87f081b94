// Controller references and claiming, as upstream's ControllerRefManager: an owner (a ReplicaSet,
// a Deployment) claims the objects it selects. For each candidate:
//   - controlled by another owner: not ours, left alone;
//   - controlled by us and still selected: kept;
//   - controlled by us but no longer selected: released (our ownerReference removed), unless we
//     are being deleted (the garbage collector handles that);
//   - an orphan that we select, not itself terminating, in our namespace: adopted (our controller
//     reference added), unless we are being deleted. Before the first adoption the owner is read
//     fresh from the API (not the cache) to be sure it still exists with the same uid and is not
//     being deleted, so that a stale cache never adopts into a dead owner.
// Both writes are strategic-merge patches of metadata.ownerReferences (merge key uid), so they touch
// nothing else of the object.
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { Selector } from '../../api/labels.js';
import { isNotFound, type KubeObject, type ResourceClient } from '../../client/resource_client.js';
import { hasReason } from '../../api/errors.js';

export function controllerOf(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata?.ownerReferences?.find((r) => r.controller === true);
}

/** The reference a controller puts on what it creates (metav1.NewControllerRef). */
export function newControllerRef(owner: KubeObject, apiVersion: string, kind: string): OwnerReference {
  return {
    apiVersion,
    kind,
    name: owner.metadata?.name ?? '',
    uid: owner.metadata?.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

export interface ClaimOptions<T extends KubeObject> {
  owner: KubeObject;
  apiVersion: string;
  kind: string;
  selector: Selector;
  /** Writes patches to the claimed objects. */
  client: ResourceClient<T>;
  /** Reads the owner from the API (uncached), for the adoption recheck. */
  getOwnerFresh: () => Promise<KubeObject>;
}

/** A claim that failed part-way: some objects could not be adopted or released. */
export class ClaimError extends Error {
  constructor(readonly errors: readonly unknown[]) {
    super(`claiming: ${errors.map((e) => (e instanceof Error ? e.message : String(e))).join('; ')}`);
    this.name = 'ClaimError';
  }
}

/**
 * Returns the objects the owner controls after adopting and releasing as described above.
 * Throws a ClaimError after trying every object if any write failed (the caller requeues).
 */
export async function claimObjects<T extends KubeObject>(objs: readonly T[], o: ClaimOptions<T>): Promise<T[]> {
  const ownerMeta = o.owner.metadata ?? {};
  const ownerUid = ownerMeta.uid ?? '';
  const ownerDeleting = !!ownerMeta.deletionTimestamp;
  const claimed: T[] = [];
  const errors: unknown[] = [];
  let adoptCheck: Promise<void> | undefined;
  const canAdopt = (): Promise<void> =>
    (adoptCheck ??= o.getOwnerFresh().then((fresh) => {
      const uid = fresh.metadata?.uid ?? '';
      const name = `${ownerMeta.namespace ?? ''}/${ownerMeta.name ?? ''}`;
      if (uid !== ownerUid) throw new Error(`original ${o.kind} ${name} is gone: got uid ${uid}, wanted ${ownerUid}`);
      if (fresh.metadata?.deletionTimestamp) throw new Error(`${o.kind} ${name} has just been deleted at ${fresh.metadata.deletionTimestamp}`);
    }));
  for (const obj of objs) {
    const meta = obj.metadata ?? {};
    const labels = meta.labels ?? {};
    const ref = controllerOf(obj);
    if (ref) {
      if (ref.uid !== ownerUid) continue;
      if (o.selector.matches(labels)) {
        claimed.push(obj);
        continue;
      }
      if (ownerDeleting) continue;
      try {
        await o.client.patch(meta.namespace ?? '', meta.name ?? '', 'strategic', {
          metadata: { ownerReferences: [{ $patch: 'delete', uid: ownerUid }], uid: meta.uid },
        });
      } catch (err) {
        // Gone, or no longer carrying our reference: nothing left to release.
        if (!isNotFound(err) && !hasReason(err, 'Invalid')) errors.push(err);
      }
      continue;
    }
    if (ownerDeleting || !o.selector.matches(labels)) continue;
    if (meta.deletionTimestamp) continue;
    if (ownerMeta.namespace && meta.namespace !== ownerMeta.namespace) continue;
    try {
      await canAdopt();
      const adopted = await o.client.patch(meta.namespace ?? '', meta.name ?? '', 'strategic', {
        metadata: { ownerReferences: [newControllerRef(o.owner, o.apiVersion, o.kind)], uid: meta.uid },
      });
      claimed.push(adopted);
    } catch (err) {
      if (!isNotFound(err)) errors.push(err);
    }
  }
  if (errors.length > 0) throw new ClaimError(errors);
  return claimed;
}
