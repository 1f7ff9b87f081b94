import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import schemaJson from './openapi_v2_schema.json' with { type: 'json' };
import {
  OPENAPI_V2_PROTOBUF_ACCEPT,
  OPENAPI_V2_PROTOBUF_CONTENT_TYPE,
  OpenAPIV2EncodeError,
  decodeOpenAPIV2Protobuf,
  encodeOpenAPIV2Protobuf,
  negotiateOpenAPIV2,
  openapiV2Protobuf,
  openapiV2ProtobufDocument,
} from './openapi_v2.js';
import { openapiV2 } from '../../apiserver/openapi.js';
import { apiResourceList, discoveryResponse, versionInfo } from '../../apiserver/discovery.js';

/** A small Swagger 2.0 document touching every variant the model has. */
const SMALL = {
  swagger: '2.0',
  info: {
    title: 'Small', version: 'v0.1', description: 'd', termsOfService: 'tos',
    contact: { name: 'n', url: 'http://c', email: 'e@x', 'x-c': 1 }, license: { name: 'L', url: 'http://l' },
    'x-info': { a: [1, 'two'] },
  },
  host: 'example.test',
  basePath: '/base',
  schemes: ['https', 'http'],
  consumes: ['application/json'],
  produces: ['application/json', 'application/yaml'],
  paths: {
    '/things/{name}': {
      parameters: [{ $ref: '#/parameters/pretty' }, { name: 'name', in: 'path', required: true, type: 'string', uniqueItems: true }],
      get: {
        tags: ['things'], summary: 's', description: 'read', operationId: 'readThing', produces: ['application/json'],
        schemes: ['https'], deprecated: true,
        parameters: [
          { name: 'limit', in: 'query', type: 'integer', format: 'int32', minimum: 0, maximum: 10.5, exclusiveMaximum: true, default: 5 },
          { name: 'tags', in: 'query', type: 'array', items: { type: 'string', enum: ['a', 'b'] }, collectionFormat: 'multi', allowEmptyValue: false },
          { name: 'X-Trace', in: 'header', type: 'string', pattern: '^[a-f0-9]+$', maxLength: 32, minLength: 0 },
          { name: 'upload', in: 'formData', type: 'file', required: false },
        ],
        responses: {
          '200': { description: 'OK', schema: { $ref: '#/definitions/Thing' }, headers: { ETag: { type: 'string', description: 'tag' } }, examples: { 'application/json': { name: 'x' } } },
          '404': { $ref: '#/responses/NotFound' },
          default: { description: 'file', schema: { type: 'file' } },
          'x-resp': true,
        },
        security: [{ basic: [] }, { oauth: ['read', 'write'] }],
        externalDocs: { url: 'http://docs' },
        'x-kubernetes-action': 'get',
        'x-kubernetes-group-version-kind': { group: '', version: 'v1', kind: 'Thing' },
      },
      put: {
        operationId: 'replaceThing',
        parameters: [{ name: 'body', in: 'body', required: true, description: 'the thing', schema: { $ref: '#/definitions/Thing' }, 'x-b': null }],
        responses: { '200': { description: 'OK' } },
      },
      patch: { operationId: 'patchThing', responses: { '200': { description: 'OK' } } },
    },
    'x-paths': 'yes',
  },
  definitions: {
    Thing: {
      description: 'A thing.',
      type: 'object',
      required: ['name'],
      properties: {
        name: { type: 'string', default: '' },
        count: { type: 'integer', format: 'int64', multipleOf: 2, minimum: -1, readOnly: true },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        closed: { type: 'object', additionalProperties: false, minProperties: 1, maxProperties: 3 },
        items: { type: 'array', items: { $ref: '#/definitions/Item' }, maxItems: 4, minItems: 0, uniqueItems: false, 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['key'] },
        tuple: { type: 'array', items: [{ type: 'string' }, { type: 'integer' }] },
        either: { type: ['string', 'null'], enum: ['x', null, 3, { k: 'v' }] },
        mixed: { allOf: [{ $ref: '#/definitions/Item' }, { description: 'more' }], discriminator: 'kind', title: 'T', example: { any: 'thing' } },
        xml: { type: 'string', xml: { name: 'n', namespace: 'ns', prefix: 'p', attribute: true, wrapped: false } },
        unicode: { type: 'string', description: 'héllo “quotes” \\ and \n newline: {not: yaml}' },
      },
      'x-kubernetes-group-version-kind': [{ group: '', kind: 'Thing', version: 'v1' }],
    },
    Item: { type: 'object', properties: { key: { type: 'string' } }, 'x-kubernetes-map-type': 'atomic' },
  },
  parameters: {
    pretty: { name: 'pretty', in: 'query', type: 'string', description: 'indent' },
    thing: { name: 'thing', in: 'body', schema: { type: 'object' } },
  },
  responses: {
    NotFound: { description: 'missing', schema: { type: 'string' } },
  },
  securityDefinitions: {
    basic: { type: 'basic', description: 'b' },
    key: { type: 'apiKey', name: 'authorization', in: 'header' },
    implicit: { type: 'oauth2', flow: 'implicit', authorizationUrl: 'http://a', scopes: { read: 'r' } },
    password: { type: 'oauth2', flow: 'password', tokenUrl: 'http://t', scopes: {} },
    application: { type: 'oauth2', flow: 'application', tokenUrl: 'http://t', scopes: { write: 'w' } },
    oauth: { type: 'oauth2', flow: 'accessCode', authorizationUrl: 'http://a', tokenUrl: 'http://t', scopes: { read: 'r', write: 'w' } },
  },
  security: [{ key: [] }],
  tags: [{ name: 'things', description: 'Things', externalDocs: { url: 'http://t' }, 'x-tag': 1 }],
  externalDocs: { description: 'more', url: 'http://more' },
  'x-document': { nested: [true, false] },
};

/** The message as protobufjs reads it with the generated table (snake_case, field numbers from gnostic). */
function rawDecode(buf: Uint8Array): Record<string, any> {
  const root = protobuf.Root.fromJSON({ nested: (schemaJson as { nested: protobuf.INamespace['nested'] }).nested });
  const t = root.lookupType('openapi.v2.Document');
  return t.toObject(t.decode(buf), { longs: Number, oneofs: true }) as Record<string, any>;
}

/** Empty arrays are not on the wire (repeated fields), so they are dropped before comparing. */
function withoutEmptyArrays(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutEmptyArrays);
  if (typeof v !== 'object' || v === null) return v;
  return Object.fromEntries(Object.entries(v)
    .filter(([, x]) => !(Array.isArray(x) && x.length === 0))
    .map(([k, x]) => [k, withoutEmptyArrays(x)]));
}

describe('encodeOpenAPIV2Protobuf', () => {
  test('a small document survives the round trip', () => {
    const buf = encodeOpenAPIV2Protobuf(SMALL);
    // proto3 scalars have no presence: zeros (0, false, '') are not on the wire, as with gnostic.
    // Free-form values (default, example, enum, x-...) are YAML text and keep theirs.
    const expected = structuredClone(SMALL) as any;
    const get = expected.paths['/things/{name}'].get;
    delete get.parameters[0].minimum;
    delete get.parameters[1].allowEmptyValue;
    delete get.parameters[2].minLength;
    delete get.parameters[3].required;
    delete expected.definitions.Thing.properties.items.minItems;
    delete expected.definitions.Thing.properties.items.uniqueItems;
    delete expected.definitions.Thing.properties.xml.xml.wrapped;
    assert.deepEqual(decodeOpenAPIV2Protobuf(buf), expected);
  });

  test('lays the document out as gnostic does', () => {
    const buf = encodeOpenAPIV2Protobuf(SMALL);
    // Document.swagger is field 1, a string: tag 0x0a, length 3, "2.0".
    assert.deepEqual([...buf.subarray(0, 5)], [0x0a, 0x03, 0x32, 0x2e, 0x30]);
    const raw = rawDecode(buf);
    assert.equal(raw.base_path, '/base');
    assert.deepEqual(raw.vendor_extension, [{ name: 'x-document', value: { yaml: '{"nested":[true,false]}' } }]);
    const thing = raw.definitions.additional_properties[0];
    assert.equal(thing.name, 'Thing');
    assert.deepEqual(thing.value.type, { value: ['object'] });
    assert.deepEqual(thing.value.vendor_extension, [
      { name: 'x-kubernetes-group-version-kind', value: { yaml: '[{"group":"","kind":"Thing","version":"v1"}]' } },
    ]);
    const props = Object.fromEntries(thing.value.properties.additional_properties.map((p: any) => [p.name, p.value]));
    assert.deepEqual(props.items.items, { schema: [{ _ref: '#/definitions/Item' }] });
    assert.deepEqual(props.closed.additional_properties, { boolean: false, oneof: 'boolean' });
    assert.deepEqual(props.labels.additional_properties, { schema: { type: { value: ['string'] } }, oneof: 'schema' });
    assert.equal(props.mixed.all_of[0]._ref, '#/definitions/Item');

    assert.deepEqual(raw.paths.vendor_extension, [{ name: 'x-paths', value: { yaml: '"yes"' } }]);
    const item = raw.paths.path[0];
    assert.equal(item.name, '/things/{name}');
    assert.deepEqual(item.value.parameters[0], { json_reference: { _ref: '#/parameters/pretty' }, oneof: 'json_reference' });
    const get = item.value.get;
    assert.equal(get.operation_id, 'readThing');
    const [limit, tags, header, upload] = get.parameters.map((p: any) => p.parameter.non_body_parameter);
    assert.equal(limit.oneof, 'query_parameter_sub_schema');
    assert.equal(limit.query_parameter_sub_schema.maximum, 10.5);
    assert.equal(tags.query_parameter_sub_schema.items.type, 'string');
    assert.equal(header.oneof, 'header_parameter_sub_schema');
    assert.equal(upload.oneof, 'form_data_parameter_sub_schema');
    const body = item.value.put.parameters[0].parameter;
    assert.equal(body.oneof, 'body_parameter');
    assert.equal(body.body_parameter.schema._ref, '#/definitions/Thing');
    const codes = Object.fromEntries(get.responses.response_code.map((r: any) => [r.name, r.value]));
    assert.equal(codes['200'].response.schema.schema._ref, '#/definitions/Thing');
    assert.equal(codes['404'].json_reference._ref, '#/responses/NotFound');
    assert.equal(codes.default.response.schema.oneof, 'file_schema');
    assert.deepEqual(get.responses.vendor_extension, [{ name: 'x-resp', value: { yaml: 'true' } }]);
    assert.deepEqual(get.security[1], { additional_properties: [{ name: 'oauth', value: { value: ['read', 'write'] } }] });
    const sec = Object.fromEntries(raw.security_definitions.additional_properties.map((s: any) => [s.name, s.value.oneof]));
    assert.deepEqual(sec, {
      basic: 'basic_authentication_security', key: 'api_key_security', implicit: 'oauth2_implicit_security',
      password: 'oauth2_password_security', application: 'oauth2_application_security', oauth: 'oauth2_access_code_security',
    });
  });

  test('rejects values of the wrong JSON type, naming where', () => {
    assert.throws(() => encodeOpenAPIV2Protobuf({ swagger: 2 }), (e: unknown) => e instanceof OpenAPIV2EncodeError && /\/swagger: expected a string/.test(e.message));
    assert.throws(() => encodeOpenAPIV2Protobuf({ swagger: '2.0', definitions: { A: { maxLength: 1.5 } } }), /\/definitions\/A\/maxLength: expected an integer/);
    assert.throws(() => encodeOpenAPIV2Protobuf({ swagger: '2.0', paths: { '/': { get: { parameters: [{ name: 'x', in: 'cookie' }] } } } }), /unknown parameter location/);
  });

  test('keys the model has no field for are dropped', () => {
    const buf = encodeOpenAPIV2Protobuf({ swagger: '2.0', info: { title: 't', version: 'v', nonsense: 1 }, definitions: { A: { type: 'string', nullable: true } } });
    assert.deepEqual(decodeOpenAPIV2Protobuf(buf), { swagger: '2.0', info: { title: 't', version: 'v' }, definitions: { A: { type: 'string' } } });
  });
});

describe('openapiV2Protobuf', () => {
  test('is the served JSON document, encoded once', () => {
    const buf = openapiV2Protobuf();
    assert.equal(openapiV2Protobuf(), buf, 'cached');
    assert.match(openapiV2ProtobufDocument().etag, /^"[0-9A-F]{128}"$/);
    assert.deepEqual(decodeOpenAPIV2Protobuf(buf), withoutEmptyArrays(JSON.parse(openapiV2().body)));
    assert.ok(buf.length < openapiV2().body.length);
  });

  test('negotiates the form from Accept', () => {
    assert.equal(negotiateOpenAPIV2(OPENAPI_V2_PROTOBUF_ACCEPT), 'protobuf');
    assert.equal(negotiateOpenAPIV2(OPENAPI_V2_PROTOBUF_CONTENT_TYPE), 'protobuf');
    assert.equal(negotiateOpenAPIV2(`application/json;q=0.9, ${OPENAPI_V2_PROTOBUF_ACCEPT}`), 'protobuf');
    assert.equal(negotiateOpenAPIV2(`application/json, ${OPENAPI_V2_PROTOBUF_ACCEPT}`), 'json');
    assert.equal(negotiateOpenAPIV2('application/json, */*'), 'json');
    assert.equal(negotiateOpenAPIV2(undefined), 'json');
    assert.equal(negotiateOpenAPIV2('*/*'), 'json');
    assert.equal(negotiateOpenAPIV2('text/html'), undefined);
    assert.equal(negotiateOpenAPIV2(`${OPENAPI_V2_PROTOBUF_ACCEPT};q=0, text/plain`), undefined);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Against real kubectl 1.27, which knows only OpenAPI v2 and asks for it in protobuf.

const KUBECTL = '/usr/lib/google-cloud-sdk/bin/kubectl.1.27';
const haveKubectl = existsSync(KUBECTL);
if (!haveKubectl) console.log(`# skipping kubectl 1.27 tests: ${KUBECTL} not found`);

interface Run { code: number; stdout: string; stderr: string }

describe('kubectl 1.27 with /openapi/v2 in protobuf', { skip: haveKubectl ? false : `${KUBECTL} not found` }, () => {
  let server: Server;
  let base = '';
  let dir = '';
  /** What /openapi/v2 answers in protobuf; tests swap it for a document without fieldValidation. */
  let openapiProtobuf: () => Buffer = openapiV2Protobuf;
  const writes: string[] = [];
  const openapiAccepts: string[] = [];

  function send(res: ServerResponse, code: number, body: unknown, contentType = 'application/json'): void {
    const data = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    res.writeHead(code, { 'content-type': contentType, 'content-length': data.length });
    res.end(data);
  }

  function status(code: number, reason: string, message: string): object {
    return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason, message, code };
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method !== 'GET') {
      // Stands in for the API server's strict field validation, which this test does not run.
      writes.push(`${req.method} ${req.url}`);
      req.resume();
      send(res, 400, status(400, 'BadRequest', 'rejected by the test server'));
      return;
    }
    if (path === '/version') return send(res, 200, versionInfo());
    if (path === '/api' || path === '/apis') {
      const r = discoveryResponse(path, 'application/json');
      return send(res, r.status, r.body, r.contentType);
    }
    const gv = /^\/api\/(v1)$/.exec(path) ?? /^\/apis\/([^/]+)\/([^/]+)$/.exec(path);
    if (gv) {
      const list = gv.length === 2 ? apiResourceList('', gv[1]) : apiResourceList(gv[1], gv[2]);
      if (list) return send(res, 200, list);
    }
    if (path === '/openapi/v2') {
      openapiAccepts.push(req.headers.accept ?? '');
      const form = negotiateOpenAPIV2(req.headers.accept);
      if (form === 'protobuf') return send(res, 200, openapiProtobuf(), OPENAPI_V2_PROTOBUF_CONTENT_TYPE);
      if (form === 'json') return send(res, 200, openapiV2().body);
      return send(res, 406, status(406, 'NotAcceptable', 'not acceptable'));
    }
    send(res, 404, status(404, 'NotFound', 'the server could not find the requested resource'));
  }

  function kubectl(cacheDir: string, ...args: string[]): Promise<Run> {
    return new Promise((resolve) => {
      execFile(KUBECTL, ['--server', base, '--cache-dir', join(dir, cacheDir), ...args], {
        cwd: dir, timeout: 60_000, maxBuffer: 16 << 20,
        env: { ...process.env, HOME: dir, KUBECONFIG: join(dir, 'kubeconfig') },
      }, (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      });
    });
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'capstan-openapi-v2-'));
    writeFileSync(join(dir, 'kubeconfig'), 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n');
    const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.25
        ports:
        - containerPort: 80
`;
    writeFileSync(join(dir, 'good.yaml'), deployment);
    writeFileSync(join(dir, 'typo.yaml'), deployment.replace('image: nginx', 'imagee: nginx'));
    openapiV2Protobuf(); // encode before kubectl's 32 s request timeout starts
    server = createServer(handle);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  test('explain pod.spec.containers prints the container fields', async () => {
    openapiAccepts.length = 0;
    const r = await kubectl('explain', 'explain', 'pod.spec.containers');
    assert.equal(r.code, 0, r.stderr);
    assert.ok(openapiAccepts.includes(OPENAPI_V2_PROTOBUF_ACCEPT), `asked /openapi/v2 with ${openapiAccepts.join(' | ')}`);
    assert.match(r.stdout, /RESOURCE:\s+containers <\[\]Object>/);
    for (const field of ['image', 'imagePullPolicy', 'ports', 'env', 'volumeMounts', 'livenessProbe']) {
      assert.match(r.stdout, new RegExp(`^ {3}${field}\\t<`, 'm'), `field ${field} listed`);
    }
    assert.match(r.stdout, /name\t<string> -required-/);
  });

  test('explain follows references into nested types', async () => {
    const r = await kubectl('explain', 'explain', 'deployment.spec.strategy.rollingUpdate');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /VERSION:\s+apps\/v1/);
    assert.match(r.stdout, /maxSurge\t<string>/); // IntOrString
  });

  test('apply --validate=true accepts a valid Deployment', async () => {
    const r = await kubectl('apply', 'apply', '--dry-run=client', '--validate=true', '-f', 'good.yaml');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /deployment\.apps\/web created \(dry run\)/);
  });

  test('apply leaves strict validation to the server, which declares fieldValidation', async () => {
    writes.length = 0;
    const r = await kubectl('apply', 'apply', '--validate=true', '-f', 'typo.yaml');
    assert.notEqual(r.code, 0);
    assert.equal(writes.length, 1, writes.join('\n'));
    assert.match(writes[0], /^POST \/apis\/apps\/v1\/namespaces\/default\/deployments\?.*fieldValidation=Strict/);
  });

  test('against a server without fieldValidation, apply validates with the protobuf schema', async () => {
    // A document whose operations lack the fieldValidation parameter (as from servers before 1.25).
    const doc = JSON.parse(openapiV2().body) as { paths: Record<string, Record<string, { parameters?: Array<{ name: string }> }>> };
    for (const item of Object.values(doc.paths)) {
      for (const op of Object.values(item)) if (op.parameters) op.parameters = op.parameters.filter((p) => p.name !== 'fieldValidation');
    }
    const legacy = encodeOpenAPIV2Protobuf(doc);
    openapiProtobuf = () => legacy;
    try {
      writes.length = 0;
      const bad = await kubectl('legacy', 'apply', '--dry-run=client', '--validate=true', '-f', 'typo.yaml');
      assert.notEqual(bad.code, 0, bad.stdout);
      assert.match(bad.stderr, /error validating data: ValidationError\(Deployment\.spec\.template\.spec\.containers\[0\]\): unknown field "imagee" in io\.k8s\.api\.core\.v1\.Container/);
      const good = await kubectl('legacy', 'apply', '--dry-run=client', '--validate=true', '-f', 'good.yaml');
      assert.equal(good.code, 0, good.stderr);
      const off = await kubectl('legacy', 'apply', '--dry-run=client', '--validate=false', '-f', 'typo.yaml');
      assert.equal(off.code, 0, off.stderr);
      assert.deepEqual(writes, []);
    } finally {
      openapiProtobuf = openapiV2Protobuf;
    }
  });
});
