// Writes the kubeconfig that points kubectl at this cluster (context "capstan").
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import YAML from 'yaml';

export function writeKubeconfig(path: string, serverUrl: string): void {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'capstan', cluster: { server: serverUrl } }],
    users: [{ name: 'capstan-admin', user: {} }],
    contexts: [{ name: 'capstan', context: { cluster: 'capstan', user: 'capstan-admin', namespace: 'default' } }],
    'current-context': 'capstan',
    preferences: {},
  };
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, YAML.stringify(config), { mode: 0o600 });
}
