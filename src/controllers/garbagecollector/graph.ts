// The garbage collector's dependency graph: one node per object uid seen by any watched resource,
// with edges from each owner to its dependents (upstream's GraphBuilder, uidToNode and node).
//
// Informer events are applied synchronously (JavaScript gives us the single writer upstream gets
// from its graphChanges queue). A reference to a uid nobody has observed creates a *virtual* node
// whose coordinates come from the reference and whose namespace is the dependent's; the
// collector checks such nodes against the API and, when the object is absent, feeds a virtual
// delete event back in. A node's coordinates are replaced by the observed ones when its object
// shows up, and dependents whose references disagree (another name, kind, or — for a namespaced
// owner — another namespace) are handed to the collector to be verified, which is how a
// reference to a namespaced owner in another namespace ends up treated as absent.
//
// The graph decides nothing itself: it tells its sink which nodes to look at (attemptToDelete,
// attemptToOrphan) and which references are invalid (an OwnerRefInvalidNamespace event).
import type { ObjectMeta, OwnerReference } from 'kubernetes-types/meta/v1.js';

export const FINALIZER_DELETE_DEPENDENTS = 'foregroundDeletion';
export const FINALIZER_ORPHAN_DEPENDENTS = 'orphan';

/** An object's coordinates: its owner-reference fields plus its namespace ('' when cluster-scoped). */
export interface ObjectIdentity {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
  readonly namespace: string;
}

/** As upstream prints an objectReference (it appears in event messages). */
export function identityString(id: ObjectIdentity): string {
  return `[${id.apiVersion}/${id.kind}, namespace: ${id.namespace}, name: ${id.name}, uid: ${id.uid}]`;
}

function identityKey(id: ObjectIdentity): string {
  return JSON.stringify([id.apiVersion, id.kind, id.namespace, id.name, id.uid]);
}

export function sameIdentity(a: ObjectIdentity, b: ObjectIdentity): boolean {
  return a.apiVersion === b.apiVersion && a.kind === b.kind && a.namespace === b.namespace && a.name === b.name && a.uid === b.uid;
}

/** The identity an owner reference names, placed in `namespace`. */
export function referenceIdentity(ref: OwnerReference, namespace: string): ObjectIdentity {
  return { apiVersion: ref.apiVersion, kind: ref.kind, name: ref.name, uid: ref.uid, namespace };
}

function matchesCoordinates(ref: OwnerReference, id: ObjectIdentity): boolean {
  return ref.uid === id.uid && ref.name === id.name && ref.kind === id.kind && ref.apiVersion === id.apiVersion;
}

export function hasFinalizer(meta: ObjectMeta | undefined, finalizer: string): boolean {
  return (meta?.finalizers ?? []).includes(finalizer);
}

function beingDeleted(meta: ObjectMeta | undefined): boolean {
  return !!meta?.deletionTimestamp;
}

export class GraphNode {
  identity: ObjectIdentity;
  owners: OwnerReference[];
  readonly dependents = new Set<GraphNode>();
  /** Known only from a reference, not (yet) observed through an informer. */
  virtual: boolean;
  beingDeleted: boolean;
  /** Being deleted in the foreground: its blocking dependents go first. */
  deletingDependents: boolean;

  constructor(identity: ObjectIdentity, opts: { owners?: OwnerReference[]; virtual: boolean; beingDeleted?: boolean; deletingDependents?: boolean }) {
    this.identity = identity;
    this.owners = opts.owners ?? [];
    this.virtual = opts.virtual;
    this.beingDeleted = opts.beingDeleted ?? false;
    this.deletingDependents = opts.deletingDependents ?? false;
  }

  /** Dependents whose reference to this node has blockOwnerDeletion. */
  blockingDependents(): GraphNode[] {
    const out: GraphNode[] = [];
    for (const dep of this.dependents) {
      for (const ref of dep.owners) {
        if (ref.uid === this.identity.uid && ref.blockOwnerDeletion === true) {
          out.push(dep);
          break;
        }
      }
    }
    return out;
  }
}

/** Owners verified absent, by exact coordinates, so a dependent's siblings need not ask again (an LRU). */
export class AbsentOwnerCache {
  private readonly keys = new Map<string, true>();
  constructor(private readonly max: number) {}
  add(id: ObjectIdentity): void {
    const k = identityKey(id);
    this.keys.delete(k);
    this.keys.set(k, true);
    while (this.keys.size > this.max) {
      const oldest = this.keys.keys().next();
      if (oldest.done) break;
      this.keys.delete(oldest.value);
    }
  }
  has(id: ObjectIdentity): boolean {
    const k = identityKey(id);
    if (!this.keys.has(k)) return false;
    this.keys.delete(k);
    this.keys.set(k, true);
    return true;
  }
}

/** What the graph asks of the collector. */
export interface GraphSink {
  attemptToDelete(node: GraphNode, opts?: { rateLimited?: boolean }): void;
  attemptToOrphan(node: GraphNode): void;
  /** `dependent` names `ownerUid` but the observed owner lives in another namespace. */
  invalidNamespaceOwnerRef(dependent: GraphNode, ownerUid: string): void;
}

export type GraphEventType = 'add' | 'update' | 'delete';

export class DependencyGraph {
  private readonly uidToNode = new Map<string, GraphNode>();
  /** Upstream keeps 500 entries. */
  readonly absentOwners = new AbsentOwnerCache(500);

  constructor(private readonly sink: GraphSink) {}

  node(uid: string): GraphNode | undefined {
    return this.uidToNode.get(uid);
  }

  get size(): number {
    return this.uidToNode.size;
  }

  /** An informer event: `identity` as observed, the object's metadata, and (updates) the old metadata. */
  observe(type: GraphEventType, identity: ObjectIdentity, meta: ObjectMeta | undefined, oldMeta?: ObjectMeta): void {
    let existing = this.uidToNode.get(identity.uid);
    if (existing && existing.virtual && type !== 'delete') {
      if (!sameIdentity(existing.identity, identity)) {
        // Dependents that named this uid with other coordinates must be re-verified (the bad
        // child, good parent order; the other order is caught in addDependentToOwners).
        const { nonmatching } = partitionDependents([...existing.dependents], identity);
        for (const dep of nonmatching) {
          if (identity.namespace !== '' && dep.identity.namespace !== identity.namespace) this.sink.invalidNamespaceOwnerRef(dep, identity.uid);
          this.sink.attemptToDelete(dep);
        }
        existing.identity = identity;
      }
      existing.virtual = false;
    }
    if (type === 'delete') {
      if (!existing) return;
      this.removeAndNotify(existing, identity);
      return;
    }
    const owners = meta?.ownerReferences ?? [];
    if (!existing) {
      const node = new GraphNode(identity, {
        owners,
        virtual: false,
        beingDeleted: beingDeleted(meta),
        deletingDependents: beingDeleted(meta) && hasFinalizer(meta, FINALIZER_DELETE_DEPENDENTS),
      });
      this.uidToNode.set(identity.uid, node);
      this.addDependentToOwners(node, owners);
      this.processTransitions(oldMeta, meta, node);
      return;
    }
    const { added, removed, changed } = referencesDiffs(existing.owners, owners);
    if (added.length > 0 || removed.length > 0 || changed.length > 0) {
      this.addUnblockedOwnersToDeleteQueue(removed, changed);
      existing.owners = owners;
      this.addDependentToOwners(existing, added);
      this.removeDependentFromOwners(existing, removed);
    }
    if (beingDeleted(meta)) existing.beingDeleted = true;
    this.processTransitions(oldMeta, meta, existing);
  }

  /** The collector verified (by a live GET) that `deleted` does not exist. */
  virtualDelete(deleted: ObjectIdentity): void {
    const existing = this.uidToNode.get(deleted.uid);
    if (!existing) return;
    let remove = true;
    if (existing.virtual) {
      // We are not sure of a virtual node's coordinates: dependents that name the uid otherwise
      // keep it alive under one of their identities.
      const { matching, nonmatching } = partitionDependents([...existing.dependents], deleted);
      if (nonmatching.length > 0) {
        remove = false;
        if (matching.length > 0) {
          this.absentOwners.add(deleted);
          for (const dep of matching) this.sink.attemptToDelete(dep);
        }
        if (sameIdentity(existing.identity, deleted)) {
          const replacement = alternateOwnerIdentity(nonmatching, deleted);
          if (replacement) {
            existing.identity = replacement;
            this.sink.attemptToDelete(existing, { rateLimited: true });
          }
        }
      }
    } else if (!sameIdentity(existing.identity, deleted)) {
      // An observed node is not removed on the word of a virtual event with other coordinates.
      remove = false;
      const { matching } = partitionDependents([...existing.dependents], deleted);
      if (matching.length > 0) {
        this.absentOwners.add(deleted);
        for (const dep of matching) this.sink.attemptToDelete(dep);
      }
    }
    if (remove) this.removeAndNotify(existing, deleted);
  }

  private removeAndNotify(node: GraphNode, identity: ObjectIdentity): void {
    this.uidToNode.delete(node.identity.uid);
    this.removeDependentFromOwners(node, node.owners);
    if (node.dependents.size > 0) this.absentOwners.add(identity);
    for (const dep of node.dependents) this.sink.attemptToDelete(dep);
    for (const ref of node.owners) {
      const owner = this.uidToNode.get(ref.uid);
      // A foreground-deleting owner may be waiting for exactly this dependent.
      if (owner && owner.deletingDependents) this.sink.attemptToDelete(owner);
    }
  }

  private addDependentToOwners(node: GraphNode, owners: readonly OwnerReference[]): void {
    let potentiallyInvalid = false;
    for (const ref of owners) {
      let owner = this.uidToNode.get(ref.uid);
      const known = owner !== undefined;
      if (!owner) {
        owner = new GraphNode(referenceIdentity(ref, node.identity.namespace), { virtual: true });
        this.uidToNode.set(ref.uid, owner);
      }
      owner.dependents.add(node);
      if (!known) {
        // The collector asks the API whether it exists; if not, a virtual delete follows.
        this.sink.attemptToDelete(owner);
        continue;
      }
      if (potentiallyInvalid) continue;
      const ownerNamespaced = owner.identity.namespace !== '';
      if (ownerNamespaced && owner.identity.namespace !== node.identity.namespace) {
        // Cluster-scoped owners may be named from anywhere; namespaced ones only from their namespace.
        if (!owner.virtual) this.sink.invalidNamespaceOwnerRef(node, ref.uid);
        potentiallyInvalid = true;
      } else if (!matchesCoordinates(ref, owner.identity)) {
        potentiallyInvalid = true;
      } else if (!ownerNamespaced && owner.identity.namespace !== node.identity.namespace && owner.virtual) {
        // A virtual owner first named by a cluster-scoped object may be a namespaced kind.
        potentiallyInvalid = true;
      }
    }
    if (potentiallyInvalid) this.sink.attemptToDelete(node);
  }

  private removeDependentFromOwners(node: GraphNode, owners: readonly OwnerReference[]): void {
    for (const ref of owners) this.uidToNode.get(ref.uid)?.dependents.delete(node);
  }

  /** A blocking reference removed or unblocked may be what a foreground deletion waits for. */
  private addUnblockedOwnersToDeleteQueue(removed: readonly OwnerReference[], changed: ReadonlyArray<{ oldRef: OwnerReference; newRef: OwnerReference }>): void {
    for (const ref of removed) {
      if (ref.blockOwnerDeletion !== true) continue;
      const owner = this.uidToNode.get(ref.uid);
      if (owner) this.sink.attemptToDelete(owner);
    }
    for (const { oldRef, newRef } of changed) {
      if (oldRef.blockOwnerDeletion === true && newRef.blockOwnerDeletion !== true) {
        const owner = this.uidToNode.get(newRef.uid);
        if (owner) this.sink.attemptToDelete(owner);
      }
    }
  }

  private processTransitions(oldMeta: ObjectMeta | undefined, meta: ObjectMeta | undefined, node: GraphNode): void {
    if (deletionStartsWithFinalizer(oldMeta, meta, FINALIZER_ORPHAN_DEPENDENTS)) {
      this.sink.attemptToOrphan(node);
      return;
    }
    if (deletionStartsWithFinalizer(oldMeta, meta, FINALIZER_DELETE_DEPENDENTS)) {
      // A node first added as virtual has no deletingDependents yet: set it here.
      node.deletingDependents = true;
      for (const dep of node.dependents) this.sink.attemptToDelete(dep);
      this.sink.attemptToDelete(node);
    }
  }
}

function deletionStartsWithFinalizer(oldMeta: ObjectMeta | undefined, meta: ObjectMeta | undefined, finalizer: string): boolean {
  if (!beingDeleted(meta) || !hasFinalizer(meta, finalizer)) return false;
  if (!oldMeta) return true;
  return !beingDeleted(oldMeta) || !hasFinalizer(oldMeta, finalizer);
}

function sameReference(a: OwnerReference, b: OwnerReference): boolean {
  return (
    a.apiVersion === b.apiVersion &&
    a.kind === b.kind &&
    a.name === b.name &&
    a.uid === b.uid &&
    (a.controller ?? null) === (b.controller ?? null) &&
    (a.blockOwnerDeletion ?? null) === (b.blockOwnerDeletion ?? null)
  );
}

export function referencesDiffs(
  oldRefs: readonly OwnerReference[],
  newRefs: readonly OwnerReference[],
): { added: OwnerReference[]; removed: OwnerReference[]; changed: Array<{ oldRef: OwnerReference; newRef: OwnerReference }> } {
  const byUid = new Map<string, OwnerReference>();
  for (const r of oldRefs) byUid.set(r.uid, r);
  const added: OwnerReference[] = [];
  const changed: Array<{ oldRef: OwnerReference; newRef: OwnerReference }> = [];
  for (const r of newRefs) {
    const old = byUid.get(r.uid);
    if (old) {
      if (!sameReference(old, r)) changed.push({ oldRef: old, newRef: r });
      byUid.delete(r.uid);
    } else {
      added.push(r);
    }
  }
  return { added, removed: [...byUid.values()], changed };
}

/**
 * Splits dependents into those whose reference to `owner.uid` matches its coordinates and those
 * whose reference does not (a dependent outside a namespaced owner's namespace never matches).
 * A dependent with several references to the uid can land in both.
 */
export function partitionDependents(dependents: readonly GraphNode[], owner: ObjectIdentity): { matching: GraphNode[]; nonmatching: GraphNode[] } {
  const matching: GraphNode[] = [];
  const nonmatching: GraphNode[] = [];
  const ownerNamespaced = owner.namespace !== '';
  for (const dep of dependents) {
    let match = false;
    let mismatch = false;
    if (ownerNamespaced && owner.namespace !== dep.identity.namespace) {
      mismatch = true;
    } else {
      for (const ref of dep.owners) {
        if (ref.uid !== owner.uid) continue;
        if (matchesCoordinates(ref, owner)) match = true;
        else mismatch = true;
      }
    }
    if (match) matching.push(dep);
    if (mismatch) nonmatching.push(dep);
  }
  return { matching, nonmatching };
}

function referenceLessThan(a: ObjectIdentity, b: ObjectIdentity): boolean {
  if (a.kind !== b.kind) return a.kind < b.kind;
  if (a.apiVersion !== b.apiVersion) return a.apiVersion < b.apiVersion;
  if (a.namespace !== b.namespace) return a.namespace < b.namespace;
  if (a.name !== b.name) return a.name < b.name;
  return a.uid < b.uid;
}

/**
 * Another identity the dependents give the absent uid: the first after `absent` in a fixed order,
 * else the first of all, so that every candidate gets verified in turn.
 */
export function alternateOwnerIdentity(dependents: readonly GraphNode[], absent: ObjectIdentity): ObjectIdentity | undefined {
  const absentClusterScoped = absent.namespace === '';
  const seen = new Set<string>([identityKey(absent)]);
  let first: ObjectIdentity | undefined;
  let firstFollowing: ObjectIdentity | undefined;
  for (const dep of dependents) {
    for (const ref of dep.owners) {
      if (ref.uid !== absent.uid) continue;
      if (matchesCoordinates(ref, absent) && (absentClusterScoped || absent.namespace === dep.identity.namespace)) continue;
      let candidate = referenceIdentity(ref, dep.identity.namespace);
      // This apiVersion/kind is known to be cluster-scoped.
      if (absentClusterScoped && candidate.apiVersion === absent.apiVersion && candidate.kind === absent.kind) candidate = { ...candidate, namespace: '' };
      const key = identityKey(candidate);
      if (seen.has(key)) continue;
      seen.add(key);
      if (!first || referenceLessThan(candidate, first)) first = candidate;
      if (referenceLessThan(absent, candidate) && (!firstFollowing || referenceLessThan(candidate, firstFollowing))) firstFollowing = candidate;
    }
  }
  return firstFollowing ?? first;
}
