import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { request } from 'node:https';
import { test } from 'node:test';
import { selfSignedServingCert } from './serving_cert.js';

test('the certificate parses, names its hosts and IPs, and is signed by its own key', () => {
  const { key, cert } = selfSignedServingCert('node-1', ['node-1', '127.0.0.1', '::1', 'localhost', '10.0.0.7']);
  const x = new X509Certificate(cert);
  assert.equal(x.subject, 'CN=node-1');
  assert.equal(x.issuer, 'CN=node-1');
  assert.ok(x.verify(x.publicKey), 'self-signed signature verifies');
  assert.ok(x.checkPrivateKey(createPrivateKey(key)));
  assert.equal(x.checkHost('node-1'), 'node-1');
  assert.equal(x.checkHost('localhost'), 'localhost');
  assert.equal(x.checkIP('127.0.0.1'), '127.0.0.1');
  assert.equal(x.checkIP('10.0.0.7'), '10.0.0.7');
  assert.equal(x.checkIP('::1'), '::1');
  assert.equal(x.checkIP('10.0.0.8'), undefined);
  assert.equal(x.ca, false);
  assert.ok(new Date(x.validTo).getTime() > Date.now() + 300 * 24 * 3600 * 1000);
});

test('a TLS server with it is reachable by a client that trusts it', async () => {
  const { key, cert } = selfSignedServingCert('node-1', ['127.0.0.1']);
  const server = createServer({ key, cert }, (_req, res) => res.end('ok'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const port = (server.address() as AddressInfo).port;
    const body = await new Promise<string>((resolve, reject) => {
      request({ host: '127.0.0.1', port, ca: cert, path: '/' }, (res) => {
        let b = '';
        res.on('data', (d: Buffer) => (b += d.toString()));
        res.on('end', () => resolve(b));
      })
        .on('error', reject)
        .end();
    });
    assert.equal(body, 'ok', 'verified against the certificate itself');
  } finally {
    server.close();
  }
});
