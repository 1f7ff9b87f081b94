// Proves that real kubectl (1.32) understands our discovery and OpenAPI documents: a throwaway
// node:http server on loopback serves only those documents, and kubectl's api-resources,
// api-versions and explain must work against it. Skipped when that kubectl binary is absent.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiGroup, apiResourceList, discoveryResponse, versionInfo } from './discovery.js';
import { openapiV2, openapiV3GroupVersion, openapiV3Root, type OpenAPIDocument } from './openapi.js';

const KUBECTL = '/usr/lib/google-cloud-sdk/bin/kubectl.1.32';

function send(res: ServerResponse, status: number, contentType: string, body: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body), ...extra });
  res.end(body);
}

function sendDoc(res: ServerResponse, doc: OpenAPIDocument): void {
  send(res, 200, 'application/json', doc.body, { ETag: doc.etag });
}

function notFound(res: ServerResponse, path: string): void {
  send(res, 404, 'application/json', JSON.stringify({
    kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `the server could not find the requested resource (${path})`, reason: 'NotFound', code: 404,
  }));
}

/** Only the routes under test; everything else is a 404 Status, as an unknown path would be. */
function handle(req: IncomingMessage, res: ServerResponse, requests: string[]): void {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const path = url.pathname.replace(/\/+$/, '') || '/';
  requests.push(`${req.method} ${url.pathname}${url.search}`);
  if (req.method !== 'GET') return notFound(res, path);
  if (path === '/version') return send(res, 200, 'application/json', JSON.stringify(versionInfo()));
  if (path === '/api' || path === '/apis') {
    const r = discoveryResponse(path, req.headers.accept, { serverAddress: req.headers.host });
    return send(res, r.status, r.contentType, r.body, { ETag: r.etag, Vary: 'Accept' });
  }
  if (path === '/openapi/v2') {
    // kubectl asks v2 in protobuf only as a fallback; we serve JSON.
    if (!(req.headers.accept ?? '').includes('json') && (req.headers.accept ?? '').includes('protobuf')) return notFound(res, path);
    return sendDoc(res, openapiV2());
  }
  if (path === '/openapi/v3') return sendDoc(res, openapiV3Root());
  if (path.startsWith('/openapi/v3/')) {
    const doc = openapiV3GroupVersion(path.slice('/openapi/v3/'.length));
    return doc ? sendDoc(res, doc) : notFound(res, path);
  }
  const parts = path.split('/').filter(Boolean);
  if (parts[0] === 'api' && parts.length === 2) {
    const list = apiResourceList('', parts[1]);
    return list ? send(res, 200, 'application/json', JSON.stringify(list)) : notFound(res, path);
  }
  if (parts[0] === 'apis' && parts.length === 2) {
    const g = apiGroup(parts[1]);
    return g ? send(res, 200, 'application/json', JSON.stringify(g)) : notFound(res, path);
  }
  if (parts[0] === 'apis' && parts.length === 3) {
    const list = apiResourceList(parts[1], parts[2]);
    return list ? send(res, 200, 'application/json', JSON.stringify(list)) : notFound(res, path);
  }
  return notFound(res, path);
}

function kubectl(args: string[], env: NodeJS.ProcessEnv): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(KUBECTL, args, { env, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`kubectl ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve({ stdout, stderr });
    });
  });
}

test('real kubectl 1.32 reads our discovery and OpenAPI documents', async (t) => {
  if (!existsSync(KUBECTL)) {
    t.skip(`${KUBECTL} not installed`);
    console.log(`skipping: ${KUBECTL} not installed`);
    return;
  }
  const requests: string[] = [];
  const server = createServer((req, res) => handle(req, res, requests));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // A fresh HOME and cache dir so kubectl neither reads a user's kubeconfig nor reuses a cache.
  const home = mkdtempSync(join(tmpdir(), 'capstan-kubectl-'));
  t.after(() => {
    server.close();
    rmSync(home, { recursive: true, force: true });
  });
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object', 'listening on a TCP port');
  const port = address.port;
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, KUBECONFIG: join(home, 'none') };
  const base = ['--server', `http://127.0.0.1:${port}`, '--cache-dir', join(home, 'cache')];

  const resources = await kubectl([...base, 'api-resources'], env);
  assert.match(resources.stdout, /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment\s*$/m);
  assert.match(resources.stdout, /^pods\s+po\s+v1\s+true\s+Pod\s*$/m);
  assert.match(resources.stdout, /^namespaces\s+ns\s+v1\s+false\s+Namespace\s*$/m);
  assert.match(resources.stdout, /^leases\s+coordination\.k8s\.io\/v1\s+true\s+Lease\s*$/m);
  assert.match(resources.stdout, /^horizontalpodautoscalers\s+hpa\s+autoscaling\/v2\s+true\s+HorizontalPodAutoscaler\s*$/m);
  // The aggregated form was used: no per-group-version walk.
  assert.ok(!requests.some((r) => r.startsWith('GET /apis/apps/v1')), requests.join('\n'));

  const wide = await kubectl([...base, 'api-resources', '-o', 'wide', '--api-group=apps'], env);
  assert.match(wide.stdout, /deployments\s+deploy\s+apps\/v1\s+true\s+Deployment\s+create,delete,deletecollection,get,list,patch,update,watch\s+all/);

  const versions = await kubectl([...base, 'api-versions'], env);
  const lines = versions.stdout.trim().split('\n');
  for (const v of ['v1', 'apps/v1', 'batch/v1', 'autoscaling/v1', 'autoscaling/v2', 'rbac.authorization.k8s.io/v1']) assert.ok(lines.includes(v), `${v} in ${lines.join(',')}`);

  const explain = await kubectl([...base, 'explain', 'pod.spec.containers'], env);
  assert.match(explain.stdout, /KIND:\s+Pod/);
  assert.match(explain.stdout, /VERSION:\s+v1/);
  assert.match(explain.stdout, /FIELD: containers <\[\]Container>/);
  assert.match(explain.stdout, /^ {2}image\s+<string>/m);
  assert.match(explain.stdout, /^ {2}ports\s+<\[\]ContainerPort>/m);

  const explainDeploy = await kubectl([...base, 'explain', 'deployments.spec.strategy'], env);
  assert.match(explainDeploy.stdout, /GROUP:\s+apps/);
  assert.match(explainDeploy.stdout, /rollingUpdate\s+<RollingUpdateDeployment>/);
});
