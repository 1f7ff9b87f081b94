// The kubelet's HTTPS identity: a self-signed ECDSA P-256 certificate for the node's name and IP,
// made at start (tens of milliseconds). The API server does not verify it (as upstream without
// --kubelet-certificate-authority); the security issue replaces it with one signed by the
// cluster CA.
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { isIP } from 'node:net';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export interface ServingCert {
  key: string;
  cert: string;
}

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN ${label}-----\n${b64.replace(/\n$/, '')}\n-----END ${label}-----\n`;
}

/** A certificate valid for a year for `names` (DNS names and IP addresses mixed). */
export async function selfSignedServingCert(commonName: string, names: string[]): Promise<ServingCert> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(8))).toString('hex').replace(/^[89a-f]/, '1'),
    name: `CN=${commonName.replace(/[,=+<>#;\\"]/g, '_')}`,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 365 * 24 * 3600 * 1000),
    signingAlgorithm: alg,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([...new Set(names)].map((n) => (isIP(n) ? { type: 'ip' as const, value: n } : { type: 'dns' as const, value: n }))),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { key: pem('PRIVATE KEY', pkcs8), cert: cert.toString('pem') };
}
