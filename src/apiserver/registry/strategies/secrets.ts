// Secrets (core/v1): type Opaque by default, stringData folded into data (upstream does this
// while converting v1 to the internal type), key names, the 1 MiB limit, the keys each built-in
// type requires, and `type`/`immutable` on update. Field selector: `type`.

import type { Secret } from 'kubernetes-types/core/v1.js';
import { type FieldError, field, fieldPath } from '../../../api/errors.js';
import { isConfigMapKey, validateImmutableField } from '../../../api/validation.js';
import type { KubeObject, Strategy } from '../strategy.js';
import { MAX_DATA_SIZE } from './configmaps.js';
import { deepEqual, isRecord, objectOr, resourceOf } from './util.js';

function asSecret(obj: KubeObject): Secret {
  return objectOr<Secret>(obj, {});
}

/** Go's base64.StdEncoding: the decoded bytes, or the offset of the first bad byte. */
function decodeBase64(s: string): { bytes: Buffer } | { badAt: number } {
  if (s.length % 4 !== 0 && !/[^A-Za-z0-9+/=]/.test(s)) return { badAt: s.length - (s.length % 4) };
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (/[A-Za-z0-9+/]/.test(ch)) continue;
    if (ch === '=' && i >= s.length - 2 && /^=*$/.test(s.slice(i))) continue;
    return { badAt: i };
  }
  return { bytes: Buffer.from(s, 'base64') };
}

function validateSecret(obj: KubeObject): FieldError[] {
  const s = asSecret(obj);
  const errs: FieldError[] = [];
  const dataPath = fieldPath('data');
  const decoded = new Map<string, Buffer>();
  let total = 0;
  for (const [k, v] of Object.entries(s.data ?? {})) {
    errs.push(...isConfigMapKey(k).map((m) => field.invalid(dataPath.key(k), k, m)));
    const d = decodeBase64(String(v));
    if ('badAt' in d) {
      // Upstream rejects this while decoding the body (400), before validation runs.
      errs.push(field.invalid(dataPath.key(k), '<secret contents redacted>', `illegal base64 data at input byte ${d.badAt}`));
      continue;
    }
    decoded.set(k, d.bytes);
    total += d.bytes.length;
  }
  if (total > MAX_DATA_SIZE) errs.push(field.tooLong(dataPath, MAX_DATA_SIZE));
  const has = (k: string): boolean => decoded.has(k) || (s.data !== undefined && k in s.data);
  const json = (k: string): void => {
    const b = decoded.get(k);
    if (b === undefined) return;
    try {
      const v: unknown = JSON.parse(b.toString('utf8'));
      if (!isRecord(v)) throw new Error(`json: cannot unmarshal ${Array.isArray(v) ? 'array' : typeof v} into Go value of type map[string]interface {}`);
    } catch (err) {
      errs.push(field.invalid(dataPath.key(k), '<secret contents redacted>', err instanceof Error ? err.message : String(err)));
    }
  };
  switch (s.type ?? '') {
    case 'kubernetes.io/service-account-token':
      if (!s.metadata?.annotations?.['kubernetes.io/service-account.name']) {
        errs.push(field.required(fieldPath('metadata', 'annotations').key('kubernetes.io/service-account.name'), ''));
      }
      break;
    case 'kubernetes.io/dockercfg':
      if (!has('.dockercfg')) errs.push(field.required(dataPath.key('.dockercfg'), ''));
      else json('.dockercfg');
      break;
    case 'kubernetes.io/dockerconfigjson':
      if (!has('.dockerconfigjson')) errs.push(field.required(dataPath.key('.dockerconfigjson'), ''));
      else json('.dockerconfigjson');
      break;
    case 'kubernetes.io/basic-auth':
      if (!has('username') && !has('password')) {
        errs.push(field.required(dataPath.key('username'), ''), field.required(dataPath.key('password'), ''));
      }
      break;
    case 'kubernetes.io/ssh-auth':
      if ((decoded.get('ssh-privatekey')?.length ?? 0) === 0) errs.push(field.required(dataPath.key('ssh-privatekey'), ''));
      break;
    case 'kubernetes.io/tls':
      if (!has('tls.crt')) errs.push(field.required(dataPath.key('tls.crt'), ''));
      if (!has('tls.key')) errs.push(field.required(dataPath.key('tls.key'), ''));
      break;
    default:
      break;
  }
  return errs;
}

export const secretStrategy: Strategy = {
  resource: resourceOf('', 'v1', 'secrets'),

  defaults(obj) {
    const s = asSecret(obj);
    if (!s.type) s.type = 'Opaque';
    // stringData is write-only: its entries replace data's and it is never stored.
    if (isRecord(s.stringData)) {
      const data: Record<string, string> = isRecord(s.data) ? s.data : {};
      for (const [k, v] of Object.entries(s.stringData)) data[k] = Buffer.from(String(v), 'utf8').toString('base64');
      s.data = data;
    }
    delete s.stringData;
  },

  validate: (obj) => validateSecret(obj),
  validateUpdate(obj, old) {
    const next = asSecret(obj);
    const prev = asSecret(old);
    const errs = validateImmutableField(next.type ?? '', prev.type ?? '', fieldPath('type'));
    if (prev.immutable === true) {
      const msg = 'field is immutable when `immutable` is set';
      if (next.immutable !== true) errs.push(field.forbidden(fieldPath('immutable'), msg));
      if (!deepEqual(next.data ?? null, prev.data ?? null)) errs.push(field.forbidden(fieldPath('data'), msg));
    }
    return [...errs, ...validateSecret(obj)];
  },

  selectableFields: (obj) => ({ type: asSecret(obj).type ?? '' }),
};
