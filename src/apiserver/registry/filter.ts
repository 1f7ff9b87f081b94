// Turns a request's labelSelector and fieldSelector into one predicate over objects, checking
// that every selected field is one the resource supports (400 otherwise, as upstream).
import { badRequest } from '../../api/errors.js';
import { parseFieldSelector } from '../../api/fields.js';
import { parseSelector } from '../../api/labels.js';
import type { KubeObject, Strategy } from './strategy.js';

export interface ListSelectors {
  labelSelector?: string;
  fieldSelector?: string;
}

export type ObjectFilter = (obj: KubeObject) => boolean;

/** The field set of an object: metadata.name and metadata.namespace, plus the strategy's own. */
export function objectFields(strategy: Strategy, obj: KubeObject): Record<string, string> {
  const meta = obj.metadata ?? {};
  const base: Record<string, string> = { 'metadata.name': meta.name ?? '' };
  if (strategy.resource.namespaced) base['metadata.namespace'] = meta.namespace ?? '';
  return strategy.selectableFields ? { ...base, ...strategy.selectableFields(obj) } : base;
}

/** Undefined when nothing is selected (the common case: no per-object work at all). */
export function filterFor(strategy: Strategy, sel: ListSelectors): ObjectFilter | undefined {
  const labels = sel.labelSelector ? parseSelector(sel.labelSelector) : undefined;
  const fields = sel.fieldSelector ? parseFieldSelector(sel.fieldSelector) : undefined;
  if (fields) {
    // Learn the supported field names from an empty object's field set.
    const supported = new Set(Object.keys(objectFields(strategy, { metadata: {} })));
    for (const r of fields.requirements()) {
      if (!supported.has(r.field)) throw badRequest(`field label not supported: ${r.field}`);
    }
  }
  const l = labels && !labels.isEmpty() ? labels : undefined;
  const f = fields && !fields.isEmpty() ? fields : undefined;
  if (!l && !f) return undefined;
  return (obj) => (!l || l.matches(obj.metadata?.labels)) && (!f || f.matches(objectFields(strategy, obj)));
}
