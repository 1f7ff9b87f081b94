// ConfigMaps (core/v1): key names, no key in both data and binaryData, at most 1 MiB in total,
// and the `immutable` flag, as Kubernetes 1.32 validates them.

import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import { type FieldError, field, fieldPath } from '../../../api/errors.js';
import { isConfigMapKey, utf8Length } from '../../../api/validation.js';
import type { KubeObject, Strategy } from '../strategy.js';
import { deepEqual, objectOr, resourceOf } from './util.js';

/** core.MaxSecretSize: the limit of a ConfigMap's or Secret's data. */
export const MAX_DATA_SIZE = 1024 * 1024;

/** The decoded length of a base64 string (binaryData and Secret data travel base64 in JSON). */
export function base64DecodedLength(s: string): number {
  const clean = s.replace(/=+$/, '');
  return Math.floor((clean.length * 3) / 4);
}

function asConfigMap(obj: KubeObject): ConfigMap {
  return objectOr<ConfigMap>(obj, {});
}

function validateConfigMap(obj: KubeObject): FieldError[] {
  const cm = asConfigMap(obj);
  const errs: FieldError[] = [];
  const data = cm.data ?? {};
  const binary = cm.binaryData ?? {};
  let total = 0;
  for (const [k, v] of Object.entries(data)) {
    const p = fieldPath('data').key(k);
    errs.push(...isConfigMapKey(k).map((m) => field.invalid(p, k, m)));
    if (k in binary) errs.push(field.invalid(p, k, 'duplicate of key present in binaryData'));
    total += utf8Length(String(v));
  }
  for (const [k, v] of Object.entries(binary)) {
    errs.push(...isConfigMapKey(k).map((m) => field.invalid(fieldPath('binaryData').key(k), k, m)));
    total += base64DecodedLength(String(v));
  }
  // The empty path: the error is about the whole object.
  if (total > MAX_DATA_SIZE) errs.push(field.tooLong(fieldPath(''), MAX_DATA_SIZE));
  return errs;
}

export const configMapStrategy: Strategy = {
  resource: resourceOf('', 'v1', 'configmaps'),
  validate: (obj) => validateConfigMap(obj),
  validateUpdate(obj, old) {
    const errs: FieldError[] = [];
    const next = asConfigMap(obj);
    const prev = asConfigMap(old);
    if (prev.immutable === true) {
      const msg = 'field is immutable when `immutable` is set';
      if (next.immutable !== true) errs.push(field.forbidden(fieldPath('immutable'), msg));
      if (!deepEqual(next.data ?? null, prev.data ?? null)) errs.push(field.forbidden(fieldPath('data'), msg));
      if (!deepEqual(next.binaryData ?? null, prev.binaryData ?? null)) errs.push(field.forbidden(fieldPath('binaryData'), msg));
    }
    return [...errs, ...validateConfigMap(obj)];
  },
};
