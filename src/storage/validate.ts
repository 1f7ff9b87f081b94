// Input checks shared by every driver: bad keys, values or revisions are rejected with
// InvalidInputError before anything is written.
import { InvalidInputError } from './backend.js';
import { storageDefaults } from './defaults.js';

export const KEY_ROOT = '/registry/';

export function checkKey(key: unknown): string {
  if (typeof key !== 'string' || key.length === 0) throw new InvalidInputError('key must be a non-empty string');
  if (!key.startsWith(KEY_ROOT) || key.length === KEY_ROOT.length) {
    throw new InvalidInputError(`key must lie under ${KEY_ROOT}: ${JSON.stringify(key)}`);
  }
  checkKeyChars(key);
  return key;
}

export function checkPrefix(prefix: unknown): string {
  if (typeof prefix !== 'string' || !prefix.startsWith(KEY_ROOT)) {
    throw new InvalidInputError(`prefix must start with ${KEY_ROOT}: ${JSON.stringify(prefix)}`);
  }
  checkKeyChars(prefix);
  return prefix;
}

function checkKeyChars(key: string): void {
  if (key.length > storageDefaults.maxKeyLength) throw new InvalidInputError(`key longer than ${storageDefaults.maxKeyLength} characters`);
  if (key.includes('\0')) throw new InvalidInputError('key must not contain NUL');
}

/** Values are JSON text: parse once to prove it, so that no reader ever meets a corrupt value. */
export function checkValue(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) throw new InvalidInputError('value must be a non-empty JSON string');
  try {
    JSON.parse(value);
  } catch (err) {
    throw new InvalidInputError(`value is not valid JSON: ${(err as Error).message}`);
  }
  return value;
}

/** A revision argument: a whole number >= 0 (0 means "current" where a call allows it). */
export function checkRevision(revision: unknown, what = 'revision'): number {
  if (typeof revision !== 'number' || !Number.isSafeInteger(revision) || revision < 0) {
    throw new InvalidInputError(`${what} must be a whole number >= 0, got ${String(revision)}`);
  }
  return revision;
}

export function checkLease(leaseSeconds: unknown): number {
  if (leaseSeconds === undefined) return 0;
  if (typeof leaseSeconds !== 'number' || !Number.isSafeInteger(leaseSeconds) || leaseSeconds < 0) {
    throw new InvalidInputError(`leaseSeconds must be a whole number >= 0, got ${String(leaseSeconds)}`);
  }
  return leaseSeconds;
}

/** The exclusive upper bound of the key range that starts with `prefix`. */
export function prefixEnd(prefix: string): string {
  const last = prefix.charCodeAt(prefix.length - 1);
  return prefix.slice(0, -1) + String.fromCharCode(last + 1);
}
