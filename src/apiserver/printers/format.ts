// Formatting helpers shared by the per-kind printers: ages in kubectl's short human form, the
// `<none>`/`<unknown>`/`<pending>`/`<unset>` placeholders, label maps and selectors, container
// lists and quantities, each rendered the way Kubernetes' server-side printers render them, so the
// cells we send make `kubectl get` print what it prints against a real cluster.

import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import { fromLabelSelector } from '../../api/labels.js';
import { canonicalizeQuantity } from '../../api/quantity.js';

export const NONE = '<none>';
export const UNKNOWN = '<unknown>';
export const PENDING = '<pending>';
export const UNSET = '<unset>';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/**
 * A duration in milliseconds as Kubernetes' `duration.HumanDuration` prints it: two or three
 * significant figures whose units grow with the magnitude (`45s`, `3m2s`, `10m`, `3h4m`, `20h`,
 * `5d2h`, `30d`, `2y30d`, `9y`). Up to a second and a bit of negative skew reads as `0s` (clocks
 * of client and server differ); anything more negative is `<invalid>`.
 */
export function humanDuration(ms: number): string {
  // Go converts with truncation toward zero at every step; Math.trunc does the same.
  const seconds = Math.trunc(ms / SECOND);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.trunc(ms / MINUTE);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.trunc(ms / HOUR);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  const days = Math.trunc(hours / 24);
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${days}d` : `${days}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.trunc(days / 365);
  if (hours < 24 * 365 * 8) {
    const d = days % 365;
    return d === 0 ? `${years}y` : `${years}y${d}d`;
  }
  return `${years}y`;
}

/** Milliseconds since the epoch of an RFC 3339 timestamp, or undefined when absent or unparsable. */
export function parseTime(value: string | undefined | null): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : t;
}

/** How long ago `timestamp` was, as HumanDuration; `<unknown>` when the timestamp is unset. */
export function since(timestamp: string | undefined | null, now: Date): string {
  const t = parseTime(timestamp);
  return t === undefined ? UNKNOWN : humanDuration(now.getTime() - t);
}

/** A timestamp as Go's `time.RFC3339` prints a UTC time (whole seconds); the zero time when unset. */
export function rfc3339(timestamp: string | undefined | null): string {
  const t = parseTime(timestamp);
  if (t === undefined) return '0001-01-01T00:00:00Z';
  return new Date(Math.floor(t / SECOND) * SECOND).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `a=1,b=2` with keys sorted, or `<none>` for an empty map (upstream labels.FormatLabels). */
export function formatLabelMap(labels: Readonly<Record<string, string>> | undefined): string {
  if (labels === undefined) return NONE;
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return NONE;
  return keys.map((k) => `${k}=${labels[k]}`).join(',');
}

/**
 * A label selector in the selector string syntax (`app=web,tier in (a,b)`), empty for a missing or
 * empty selector and `<invalid>` for one that does not compile, as the Deployment printer shows it.
 */
export function selectorString(selector: LabelSelector | undefined): string {
  try {
    return fromLabelSelector(selector).toString();
  } catch {
    return '<invalid>'; // the column shows this marker instead of failing the whole list
  }
}

/** A label selector as metav1.FormatLabelSelector prints it: `<none>` when empty, `<error>` when invalid. */
export function formatLabelSelector(selector: LabelSelector | undefined): string {
  let s: string;
  try {
    s = fromLabelSelector(selector).toString();
  } catch {
    return '<error>'; // the column shows this marker instead of failing the whole list
  }
  return s === '' ? NONE : s;
}

/** Container names and images, each joined by commas, for the CONTAINERS and IMAGES columns. */
export function containerCells(containers: ReadonlyArray<{ name: string; image?: string }> | undefined): [string, string] {
  const list = containers ?? [];
  return [list.map((c) => c.name).join(','), list.map((c) => c.image ?? '').join(',')];
}

/** A quantity in canonical form, as `resource.Quantity.String()`; the raw text if it does not parse. */
export function quantity(value: string | number | undefined): string {
  if (value === undefined) return '0';
  const s = String(value);
  try {
    return canonicalizeQuantity(s);
  } catch {
    return s; // stored objects were validated; this only guards odd hand-written fixtures
  }
}

/** An int-or-string value (`maxUnavailable: 25%` or `1`) as IntOrString.String() prints it. */
export function intOrString(value: string | number | undefined): string {
  return value === undefined ? '' : String(value);
}

/** `True`/`False` for a set boolean, `<unset>` for a missing one. */
export function boolPointer(value: boolean | undefined): string {
  if (value === undefined) return UNSET;
  return value ? 'True' : 'False';
}

/** `host:port`, bracketing IPv6 addresses as Go's net.JoinHostPort does. */
export function joinHostPort(host: string, port: number | string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * At most `max` items joined by commas, then ` + N more...` when the list was cut; `<unset>` for
 * an empty list (the EndpointSlice and StorageVersion style).
 */
export function listWithMore(items: readonly string[], max: number): string {
  const shown = items.slice(0, max).join(',');
  if (items.length > max) return `${shown} + ${items.length - max} more...`;
  return shown === '' ? UNSET : shown;
}
