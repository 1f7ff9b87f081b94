// The per-resource strategy: everything that differs between resources in the REST store.
// The generic store (generic_store.ts) does the rest: metadata, optimistic concurrency, selectors,
// finalizers, watch. Adding a resource = a strategy file in strategies/ and one line in
// strategies/registry.ts. Hooks are optional; an absent hook means "nothing special".
import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';
import type { FieldError } from '../../api/errors.js';
import type { ResourceInfo } from '../../api/resources.js';

/** ObjectMeta as the server edits it (kubernetes-types declares every field readonly). */
export type MutableMeta = { -readonly [K in keyof ObjectMeta]: ObjectMeta[K] };

/** Any stored API object: TypeMeta + ObjectMeta + whatever the kind has. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: MutableMeta;
  [field: string]: unknown;
}

/** What a strategy may need to know about the request. */
export interface StrategyContext {
  /** Namespace of the request ('' for cluster-scoped). */
  namespace: string;
  /** Current time, so tests can fix it. */
  now: Date;
}

export interface Strategy {
  /** The resource this strategy serves (from src/api/resources.ts). */
  readonly resource: ResourceInfo;
  /**
   * Whether spec changes bump metadata.generation (Kubernetes: kinds with a spec, such as
   * Deployment, Pod; not ConfigMap). Defaults to false.
   */
  readonly hasGeneration?: boolean;
  /** Whether this resource has a status subresource (main updates then keep the old status). */
  readonly hasStatus?: boolean;
  /** Whether PUT of a missing object creates it (upstream AllowCreateOnUpdate). */
  readonly allowCreateOnUpdate?: boolean;
  /** Storage TTL in seconds for new objects (Events: 3600). */
  readonly ttlSeconds?: number;

  /** Fills defaults in place, as upstream's SetDefaults_* do. Runs on create and update. */
  defaults?(obj: KubeObject): void;
  /** Create-time preparation after defaulting, e.g. clearing status, setting phase. */
  prepareForCreate?(obj: KubeObject, ctx: StrategyContext): void;
  /** Update-time preparation, e.g. keeping immutable or system-owned fields from `old`. */
  prepareForUpdate?(obj: KubeObject, old: KubeObject, ctx: StrategyContext): void;
  /** Validation on create: field errors with paths (`spec.containers[0].image`). */
  validate?(obj: KubeObject, ctx: StrategyContext): FieldError[];
  /** Validation on update, given the old object (immutability rules etc.). */
  validateUpdate?(obj: KubeObject, old: KubeObject, ctx: StrategyContext): FieldError[];
  /** The status subresource: validate a status update. */
  validateStatusUpdate?(obj: KubeObject, old: KubeObject, ctx: StrategyContext): FieldError[];
  /**
   * Fields usable in fieldSelector beyond metadata.name and metadata.namespace, with their values
   * for this object (pods: spec.nodeName, status.phase, ...).
   */
  selectableFields?(obj: KubeObject): Record<string, string>;
  /**
   * Graceful deletion: how long the object lingers with deletionTimestamp before it is removed
   * (pods bound to a node wait for their kubelet). Answer 0 to delete at once.
   */
  gracePeriodSeconds?(obj: KubeObject, requested: number | undefined): number;
}
