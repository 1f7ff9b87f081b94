import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decode, encode, type Answer } from 'dns-packet';
import { fit, parseQuery, reply, replyLimit } from './message.js';
import { queryMessage, rcodeOf } from './testing.js';

test('parseQuery: garbage with an id is FORMERR, too short or a response is dropped', () => {
  assert.deepEqual(parseQuery(Buffer.from([1])), { kind: 'drop' });
  const short = parseQuery(Buffer.from([0x12, 0x34, 0x01]));
  assert.equal(short.kind, 'reply');
  if (short.kind === 'reply') {
    const p = decode(short.reply);
    assert.equal(p.id, 0x1234);
    assert.equal(rcodeOf(p), 'FORMERR');
  }
  // A header promising a question that is not there.
  const bad = parseQuery(Buffer.from([0xab, 0xcd, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0x05, 0x61]));
  assert.equal(bad.kind, 'reply');
  if (bad.kind === 'reply') assert.equal(rcodeOf(decode(bad.reply)), 'FORMERR');
  // Two questions.
  const two = encode({ type: 'query', id: 9, questions: [{ type: 'A', name: 'a' }, { type: 'A', name: 'b' }] });
  const r2 = parseQuery(two);
  assert.ok(r2.kind === 'reply' && rcodeOf(decode(r2.reply)) === 'FORMERR');
  const response = encode({ type: 'response', id: 9, questions: [{ type: 'A', name: 'a' }] });
  assert.deepEqual(parseQuery(response), { kind: 'drop' });
  // Another opcode (UPDATE) is not implemented.
  const update = encode({ type: 'query', id: 9, flags: 5 << 11, questions: [{ type: 'SOA', name: 'a' }] });
  const r3 = parseQuery(update);
  assert.ok(r3.kind === 'reply' && rcodeOf(decode(r3.reply)) === 'NOTIMP');
});

test('EDNS: size and DO echoed; a version other than 0 is BADVERS', () => {
  const ok = parseQuery(queryMessage('a.example', 'A', { edns: 1232 }));
  assert.equal(ok.kind, 'query');
  if (ok.kind !== 'query') return;
  assert.equal(replyLimit(ok.query, 'udp', 512), 1232);
  assert.equal(replyLimit(ok.query, 'tcp', 512), 65535);
  const out = decode(reply(ok.query, { rcode: 'NOERROR' }, 1232));
  const opt = out.additionals?.[0];
  assert.ok(opt && opt.type === 'OPT' && opt.udpPayloadSize === 1232);
  const v1 = encode({ type: 'query', id: 3, questions: [{ type: 'A', name: 'a' }], additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 1, flags: 0, flag_do: false, options: [] }] });
  const r = parseQuery(v1);
  assert.equal(r.kind, 'reply');
  if (r.kind === 'reply') {
    const p = decode(r.reply);
    const o = p.additionals?.[0];
    assert.ok(o && o.type === 'OPT');
    // BADVERS (16): 1 in the OPT's extended rcode, 0 in the header.
    assert.equal(o.extendedRcode, 1);
    assert.equal(rcodeOf(p), 'NOERROR');
  }
});

test('fit: drops whole records from the end and sets TC', () => {
  const answers: Answer[] = [];
  for (let i = 0; i < 60; i++) answers.push({ type: 'A', name: 'many.ns.svc.cluster.local', ttl: 5, data: `10.0.0.${i}` });
  const p = { type: 'response' as const, id: 1, flags: 0, questions: [{ type: 'A' as const, name: 'many.ns.svc.cluster.local' }], answers };
  const cut = fit(p, 512);
  assert.ok(cut.length <= 512);
  const d = decode(cut);
  assert.ok(d.flag_tc);
  assert.ok((d.answers?.length ?? 0) > 0 && (d.answers?.length ?? 0) < 60);
  const whole = decode(fit(p, 65535));
  assert.equal(whole.flag_tc, false);
  assert.equal(whole.answers?.length, 60);
});
