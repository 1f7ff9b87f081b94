// DNS messages on the wire, through dns-packet: reading a query (with the checks a Go DNS server
// makes before it answers: miekg/dns's accept rules, EDNS version, one OPT), and writing replies
// that fit the transport — 512 bytes or the client's EDNS size over UDP, 64 KiB over TCP — by
// dropping whole records from the end and setting TC, as CoreDNS's scrub does.
//
// Replies copy the query's id, opcode, RD and CD bits and echo its question; an EDNS query gets an
// OPT back carrying the client's UDP size and DO bit (no options), as CoreDNS's SizeAndDo does.
import {
  AUTHORITATIVE_ANSWER,
  CHECKING_DISABLED,
  DNSSEC_OK,
  RECURSION_DESIRED,
  TRUNCATED_RESPONSE,
  decode,
  encode,
  encodingLength,
  type Answer,
  type DecodedPacket,
  type OptAnswer,
  type Packet,
  type Question,
} from 'dns-packet';

export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5, BADVERS: 16 } as const;
export type RcodeName = keyof typeof RCODE;

const HEADER_BYTES = 12;
export const MAX_TCP_MESSAGE = 65_535;

export interface Query {
  id: number;
  opcode: number;
  rd: boolean;
  cd: boolean;
  question: Question;
  /** Present when the query carried an OPT record. */
  edns?: { udpSize: number; dnssecOk: boolean };
}

export type Parsed =
  /** Not worth an answer (too short to carry an id, or itself a response). */
  | { kind: 'drop' }
  /** Refused before resolution: FORMERR, NOTIMP or BADVERS. */
  | { kind: 'reply'; reply: Buffer }
  | { kind: 'query'; query: Query };

function isOpt(a: Answer): a is OptAnswer {
  return a.type === 'OPT';
}

/** A header-only error reply (miekg/dns rejects malformed messages this way: no question). */
function headerError(id: number, opcode: number, rd: boolean, rcode: RcodeName): Buffer {
  const flags = ((opcode & 0xf) << 11) | (rd ? RECURSION_DESIRED : 0) | (RCODE[rcode] & 0xf);
  return encode({ type: 'response', id, flags, questions: [] });
}

/** Reads and checks a query. */
export function parseQuery(buf: Buffer): Parsed {
  if (buf.length < 2) return { kind: 'drop' };
  const id = buf.readUInt16BE(0);
  // QR set: a response sent to us; answering could loop or amplify.
  if (buf.length >= 3 && (buf[2]! & 0x80) !== 0) return { kind: 'drop' };
  if (buf.length < HEADER_BYTES) return { kind: 'reply', reply: headerError(id, 0, false, 'FORMERR') };
  const flags = buf.readUInt16BE(2);
  const opcode = (flags >> 11) & 0xf;
  const rd = (flags & RECURSION_DESIRED) !== 0;
  if (opcode !== 0) return { kind: 'reply', reply: headerError(id, opcode, rd, 'NOTIMP') };
  const qd = buf.readUInt16BE(4);
  const an = buf.readUInt16BE(6);
  const ns = buf.readUInt16BE(8);
  const ar = buf.readUInt16BE(10);
  if (qd !== 1 || an > 1 || ns > 1 || ar > 2) return { kind: 'reply', reply: headerError(id, opcode, rd, 'FORMERR') };
  let p: DecodedPacket;
  try {
    p = decode(buf);
  } catch {
    return { kind: 'reply', reply: headerError(id, opcode, rd, 'FORMERR') };
  }
  const question = p.questions?.[0];
  if (!question) return { kind: 'reply', reply: headerError(id, opcode, rd, 'FORMERR') };
  const opts = (p.additionals ?? []).filter(isOpt);
  if (opts.length > 1) return { kind: 'reply', reply: headerError(id, opcode, rd, 'FORMERR') };
  const opt = opts[0];
  const query: Query = {
    id,
    opcode,
    rd,
    cd: (flags & CHECKING_DISABLED) !== 0,
    question: { name: question.name, type: question.type, class: question.class },
    edns: opt ? { udpSize: opt.udpPayloadSize, dnssecOk: (opt.flags & DNSSEC_OK) !== 0 } : undefined,
  };
  if (opt && opt.ednsVersion !== 0) return { kind: 'reply', reply: reply(query, { rcode: 'BADVERS' }, MAX_TCP_MESSAGE) };
  return { kind: 'query', query };
}

/** The largest reply the client takes over this transport. */
export function replyLimit(q: Query, transport: 'udp' | 'tcp', minUdp: number): number {
  if (transport === 'tcp') return MAX_TCP_MESSAGE;
  return Math.max(minUdp, q.edns?.udpSize ?? 0);
}

export interface ReplyContent {
  rcode: RcodeName;
  authoritative?: boolean;
  truncated?: boolean;
  answers?: Answer[];
  authorities?: Answer[];
  additionals?: Answer[];
}

/** A reply to `q`, cut to `limit` bytes. */
export function reply(q: Query, c: ReplyContent, limit: number): Buffer {
  const code = RCODE[c.rcode];
  let flags = ((q.opcode & 0xf) << 11) | (code & 0xf);
  if (c.authoritative) flags |= AUTHORITATIVE_ANSWER;
  if (c.truncated) flags |= TRUNCATED_RESPONSE;
  if (q.rd) flags |= RECURSION_DESIRED;
  if (q.cd) flags |= CHECKING_DISABLED;
  const additionals = c.additionals ? [...c.additionals] : [];
  if (q.edns) {
    additionals.push({
      type: 'OPT',
      name: '.',
      udpPayloadSize: q.edns.udpSize,
      extendedRcode: code >> 4,
      ednsVersion: 0,
      flags: q.edns.dnssecOk ? DNSSEC_OK : 0,
      flag_do: q.edns.dnssecOk,
      options: [],
    });
  }
  return fit({ type: 'response', id: q.id, flags, questions: [q.question], answers: c.answers ?? [], authorities: c.authorities ?? [], additionals }, limit);
}

/**
 * Encodes `p`, dropping records from the end of the answer, authority and additional sections
 * (the OPT record stays) until it fits `limit`; TC is set when anything was dropped.
 */
export function fit(p: Packet, limit: number): Buffer {
  const full = encode(p);
  if (full.length <= limit) return full;
  const additionals = p.additionals ?? [];
  const opt = additionals.filter(isOpt);
  const base: Packet = { ...p, answers: [], authorities: [], additionals: opt };
  let size = encodingLength(base);
  let dropped = false;
  const keep = (list: Answer[] | undefined): Answer[] => {
    const out: Answer[] = [];
    for (const rr of list ?? []) {
      const n = encodingLength({ answers: [rr] }) - HEADER_BYTES;
      if (dropped || size + n > limit) {
        dropped = true;
        continue;
      }
      size += n;
      out.push(rr);
    }
    return out;
  };
  const answers = keep(p.answers);
  const authorities = keep(p.authorities);
  const extra = keep(additionals.filter((a) => !isOpt(a)));
  return encode({ ...base, flags: (p.flags ?? 0) | TRUNCATED_RESPONSE, answers, authorities, additionals: [...extra, ...opt] });
}

/** Whether a response has TC set. */
export function isTruncated(buf: Buffer): boolean {
  return buf.length >= 3 && (buf[2]! & 0x02) !== 0;
}

/** Whether an upstream answer is for this question (the forward plugin's check). */
export function sameQuestion(answer: DecodedPacket, q: Query): boolean {
  const a = answer.questions?.[0];
  if (!a || (answer.questions?.length ?? 0) !== 1) return false;
  return a.type === q.question.type && a.name.toLowerCase() === q.question.name.toLowerCase() && (a.class ?? 'IN') === (q.question.class ?? 'IN');
}

/** A query for `name`/`type` with RD (ExternalName targets, resolved through the upstream). */
export function lookupQuery(name: string, type: 'A' | 'AAAA'): Buffer {
  return encode({ type: 'query', id: 0, flags: RECURSION_DESIRED, questions: [{ name, type }] });
}

export { decode as decodeMessage };
