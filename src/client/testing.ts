// Helpers for tests that drive a real (in-process) API server: polling until something holds,
// and asking whether an object is gone. Real time, bounded; shared so each test file does not
// carry its own copy.
import { isNotFound, type ResourceClient } from './resource_client.js';

export type Truthy<T> = Exclude<T, undefined | null | false | '' | 0>;

/** Polls `fn` every `intervalMs` until it answers something truthy; throws after `ms`. */
export async function until<T>(what: string, fn: () => T | Promise<T>, ms = 15_000, intervalMs = 25): Promise<Truthy<T>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v as Truthy<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** True when the object no longer exists (404); other errors propagate. */
export async function isGone(client: ResourceClient, ns: string, name: string): Promise<boolean> {
  try {
    await client.get(ns, name);
    return false;
  } catch (err) {
    if (isNotFound(err)) return true;
    throw err;
  }
}
