// HTTP Accept header parsing shared by content negotiation (discovery forms, Tables, protobuf).

export interface MediaRange {
  /** Lower-cased `type/subtype`. */
  type: string;
  /** Parameters other than q (`as`, `g`, `v`, ...), keys lower-cased. */
  params: Map<string, string>;
  q: number;
  /** Position in the header, for tie-breaking. */
  index: number;
}

/**
 * The media ranges of an Accept header, best first: highest q, then the client's order (kubectl
 * lists what it prefers first, e.g. Table v1 before v1beta1 before plain JSON). Ranges with q=0
 * are dropped.
 */
export function parseAccept(accept: string): MediaRange[] {
  const out: MediaRange[] = [];
  accept.split(',').forEach((part, index) => {
    const [type = '', ...rest] = part.split(';');
    const params = new Map<string, string>();
    let q = 1;
    for (const p of rest) {
      const eq = p.indexOf('=');
      if (eq < 0) continue;
      const k = p.slice(0, eq).trim().toLowerCase();
      const v = p.slice(eq + 1).trim().replace(/^"|"$/g, '');
      if (k === 'q') q = Number.isFinite(Number(v)) ? Number(v) : 0;
      else params.set(k, v);
    }
    const t = type.trim().toLowerCase();
    if (t !== '' && q > 0) out.push({ type: t, params, q, index });
  });
  return out.sort((a, b) => b.q - a.q || a.index - b.index);
}
