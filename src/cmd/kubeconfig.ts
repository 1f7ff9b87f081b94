// Writes the kubeconfig that points kubectl at this cluster (context "capstan").
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import YAML from 'yaml';

export function writeKubeconfig(path: string, serverUrl: string): void {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    // Client libraries (client-node) refuse a plain-http server unless TLS checks are declared
    // off; kubectl accepts either. TLS arrives with the security issue.
    clusters: [{ name: 'capstan', cluster: serverUrl.startsWith('http:') ? { server: serverUrl, 'insecure-skip-tls-verify': true } : { server: serverUrl } }],
    users: [{ name: 'capstan-admin', user: {} }],
    contexts: [{ name: 'capstan', context: { cluster: 'capstan', user: 'capstan-admin', namespace: 'default' } }],
    'current-context': 'capstan',
    preferences: {},
  };
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, YAML.stringify(config), { mode: 0o600 });
}
