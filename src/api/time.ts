// metav1.Time and metav1.MicroTime as they are written on the wire: RFC 3339 in UTC, to the second
// (Time) or the microsecond (MicroTime). One copy for every component that stamps a time.

/** metav1.Time: `2006-01-02T15:04:05Z` (milliseconds dropped). */
export function rfc3339(t: number | Date): string {
  return new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** metav1.MicroTime: RFC 3339 with microseconds. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
