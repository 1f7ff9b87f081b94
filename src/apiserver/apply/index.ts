// Server-side apply and managedFields, as pure functions over API objects (structured-merge-diff
// semantics). The generic store calls computeUpdateManagedFields on every create/update/patch and
// serverSideApply for `application/apply-patch+yaml` patches; the HTTP layer validates the
// fieldManager/force options and names managers from the User-Agent when none is given.

import { FieldSet, decodeFieldsV1 as decodeSet, encodeFieldsV1 as encodeSet, type FieldsV1 } from './fieldset.js';
import { schemaForKind, type TypeNode } from './schema.js';
import { fieldSetOf as typedFieldSetOf } from './typed.js';

export {
  FIELD_MANAGER_MAX_LENGTH,
  LAST_APPLIED_ANNOTATION,
  computeUpdateManagedFields,
  managerFromUserAgent,
  serverSideApply,
  validateFieldManager,
  validatePatchOptions,
  type ApplyOptions,
  type ApplyResult,
  type UpdateOptions,
} from './field_manager.js';
export { FieldSet, pathString, type FieldsV1, type Path, type PathElement } from './fieldset.js';
export { decodeManagedFields, encodeManagedFields, type Managed, type ManagerEntry } from './managed_fields.js';
export { schemaForDefinition, schemaForKind, type TypeNode } from './schema.js';

/**
 * What field paths are resolved against: a compiled schema node, or the object's own
 * apiVersion/kind (`{ apiVersion: 'apps/v1', kind: 'Deployment' }`).
 */
export type SchemaContext = TypeNode | { apiVersion: string; kind: string };

function nodeOf(ctx: SchemaContext): TypeNode {
  return 'apiVersion' in ctx ? schemaForKind(ctx.apiVersion, ctx.kind) : ctx;
}

/** The set of fields `obj` sets (what an applier of `obj` would own). */
export function fieldSetOf(obj: unknown, schemaContext: SchemaContext): FieldSet {
  return typedFieldSetOf(obj, nodeOf(schemaContext));
}

/** A field set as the FieldsV1 object stored in managedFields. */
export function encodeFieldsV1(set: FieldSet): FieldsV1 {
  return encodeSet(set);
}

/** Parses a FieldsV1 object; throws FieldsV1Error on malformed input. */
export function decodeFieldsV1(json: unknown): FieldSet {
  return decodeSet(json);
}
