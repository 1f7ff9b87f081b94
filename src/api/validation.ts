// The generic validators of Kubernetes apimachinery: DNS names, qualified names and label values,
// ports, IPs and CIDRs, and ObjectMeta on create and update. Resource strategies compose these
// with their own spec checks; every message is upstream's text because kubectl shows it verbatim.
//
// The `is*` functions answer a list of messages (empty when valid), as upstream's do, so callers
// can attach them to whatever field path they are validating; the `validate*` functions answer
// FieldErrors with paths.

import type { LabelSelector, LabelSelectorRequirement, ManagedFieldsEntry, ObjectMeta, OwnerReference } from 'kubernetes-types/meta/v1.js';
import { type FieldError, type FieldPath, field, fieldPath, goQuote } from './errors.js';

/** Go's len() of a string: its UTF-8 byte count. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) { n += 4; i++; }
    else n += 3;
  }
  return n;
}

// Upstream has two spellings of the length message: util/validation says "characters" (DNS names,
// port names) while the newer api/validate/content package, used for label keys and values since
// Kubernetes 1.35, says "bytes".
export function maxLenError(length: number): string {
  return `must be no more than ${length} characters`;
}
function maxLenBytesError(length: number): string {
  return `must be no more than ${length} bytes`;
}

/** `<msg> (e.g. 'a' or 'b', regex used for validation is '<re>')` */
export function regexError(msg: string, re: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${re}')`;
  return `${msg} (e.g. ${examples.map((e) => `'${e}', `).join(' or ')}regex used for validation is '${re}')`;
}

export function emptyError(): string {
  return 'must be non-empty';
}

export function inclusiveRangeError(lo: number, hi: number): string {
  return `must be between ${lo} and ${hi}, inclusive`;
}

// ---------------------------------------------------------------------------------------------
// DNS names

export const DNS1123_LABEL_MAX_LENGTH = 63;
export const DNS1123_SUBDOMAIN_MAX_LENGTH = 253;
export const DNS1035_LABEL_MAX_LENGTH = 63;

const dns1123LabelFmt = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const dns1123LabelErrMsg = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
const dns1123LabelRe = new RegExp(`^${dns1123LabelFmt}$`);

const dns1123SubdomainFmt = `${dns1123LabelFmt}(\\.${dns1123LabelFmt})*`;
const dns1123SubdomainErrMsg = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const dns1123SubdomainRe = new RegExp(`^${dns1123SubdomainFmt}$`);

const dns1035LabelFmt = '[a-z]([-a-z0-9]*[a-z0-9])?';
const dns1035LabelErrMsg = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";
const dns1035LabelRe = new RegExp(`^${dns1035LabelFmt}$`);

const wildcardDns1123SubdomainFmt = `\\*\\.${dns1123SubdomainFmt}`;
const wildcardDns1123SubdomainErrMsg = "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character";
const wildcardDns1123SubdomainRe = new RegExp(`^${wildcardDns1123SubdomainFmt}$`);

/** RFC 1123 label: namespaces, most names that become DNS labels. */
export function isDns1123Label(value: string): string[] {
  const errs: string[] = [];
  if (value.length > DNS1123_LABEL_MAX_LENGTH) errs.push(maxLenError(DNS1123_LABEL_MAX_LENGTH));
  if (!dns1123LabelRe.test(value)) {
    // A valid subdomain that fails as a label only fails for its dots; say so plainly.
    if (dns1123SubdomainRe.test(value)) errs.push('must not contain dots');
    else errs.push(regexError(dns1123LabelErrMsg, dns1123LabelFmt, 'my-name', '123-abc'));
  }
  return errs;
}

/** RFC 1123 subdomain: the name format of most resources. */
export function isDns1123Subdomain(value: string): string[] {
  const errs: string[] = [];
  if (value.length > DNS1123_SUBDOMAIN_MAX_LENGTH) errs.push(maxLenError(DNS1123_SUBDOMAIN_MAX_LENGTH));
  if (!dns1123SubdomainRe.test(value)) errs.push(regexError(dns1123SubdomainErrMsg, dns1123SubdomainFmt, 'example.com'));
  return errs;
}

/** RFC 1035 label: service names (must start with a letter). */
export function isDns1035Label(value: string): string[] {
  const errs: string[] = [];
  if (value.length > DNS1035_LABEL_MAX_LENGTH) errs.push(maxLenError(DNS1035_LABEL_MAX_LENGTH));
  if (!dns1035LabelRe.test(value)) errs.push(regexError(dns1035LabelErrMsg, dns1035LabelFmt, 'my-name', 'abc-123'));
  return errs;
}

export function isWildcardDns1123Subdomain(value: string): string[] {
  const errs: string[] = [];
  if (value.length > DNS1123_SUBDOMAIN_MAX_LENGTH) errs.push(maxLenError(DNS1123_SUBDOMAIN_MAX_LENGTH));
  if (!wildcardDns1123SubdomainRe.test(value)) {
    errs.push(regexError(wildcardDns1123SubdomainErrMsg, wildcardDns1123SubdomainFmt, '*.example.com'));
  }
  return errs;
}

// The label-key prefix check is the content package's copy of the subdomain check, which counts bytes.
function isDns1123SubdomainBytes(value: string): string[] {
  const errs: string[] = [];
  if (utf8Length(value) > DNS1123_SUBDOMAIN_MAX_LENGTH) errs.push(maxLenBytesError(DNS1123_SUBDOMAIN_MAX_LENGTH));
  if (!dns1123SubdomainRe.test(value)) errs.push(regexError(dns1123SubdomainErrMsg, dns1123SubdomainFmt, 'example.com'));
  return errs;
}

// ---------------------------------------------------------------------------------------------
// Qualified names (label keys, annotation keys, finalizers) and label values

export const QUALIFIED_NAME_MAX_LENGTH = 63;
export const LABEL_VALUE_MAX_LENGTH = 63;

const qualifiedNameFmt = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const qualifiedNameErrMsg = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const qualifiedNameRe = new RegExp(`^${qualifiedNameFmt}$`);

const labelValueFmt = `(${qualifiedNameFmt})?`;
const labelValueErrMsg = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const labelValueRe = new RegExp(`^${labelValueFmt}$`);

/** An optional DNS-subdomain prefix and '/', then a name part of at most 63 bytes. */
export function isQualifiedName(value: string): string[] {
  const errs: string[] = [];
  const slash = value.indexOf('/');
  let name: string;
  if (slash < 0) {
    name = value;
  } else if (value.indexOf('/', slash + 1) >= 0) {
    return [`a valid label key ${regexError(qualifiedNameErrMsg, qualifiedNameFmt, 'MyName', 'my.name', '123-abc')} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`];
  } else {
    const prefix = value.slice(0, slash);
    name = value.slice(slash + 1);
    if (prefix.length === 0) errs.push('prefix part ' + emptyError());
    else for (const m of isDns1123SubdomainBytes(prefix)) errs.push('prefix part ' + m);
  }
  if (name.length === 0) errs.push('name part ' + emptyError());
  else if (utf8Length(name) > QUALIFIED_NAME_MAX_LENGTH) errs.push('name part ' + maxLenBytesError(QUALIFIED_NAME_MAX_LENGTH));
  if (!qualifiedNameRe.test(name)) errs.push('name part ' + regexError(qualifiedNameErrMsg, qualifiedNameFmt, 'MyName', 'my.name', '123-abc'));
  return errs;
}

/** Label keys are qualified names. */
export const isLabelKey = isQualifiedName;

export function isValidLabelValue(value: string): string[] {
  const errs: string[] = [];
  if (utf8Length(value) > LABEL_VALUE_MAX_LENGTH) errs.push(maxLenBytesError(LABEL_VALUE_MAX_LENGTH));
  if (!labelValueRe.test(value)) errs.push(regexError(labelValueErrMsg, labelValueFmt, 'MyValue', 'my_value', '12345'));
  return errs;
}

// ---------------------------------------------------------------------------------------------
// Other formats

const cIdentifierFmt = '[A-Za-z_][A-Za-z0-9_]*';
const cIdentifierRe = new RegExp(`^${cIdentifierFmt}$`);
export function isCIdentifier(value: string): string[] {
  if (cIdentifierRe.test(value)) return [];
  return [regexError("a valid C identifier must start with alphabetic character or '_', followed by a string of alphanumeric characters or '_'",
    cIdentifierFmt, 'my_name', 'MY_NAME', 'MyName')];
}

function hasChDirPrefix(value: string): string[] {
  if (value === '.') return ["must not be '.'"];
  if (value === '..') return ["must not be '..'"];
  if (value.startsWith('..')) return ["must not start with '..'"];
  return [];
}

const envVarNameFmt = '[-._a-zA-Z][-._a-zA-Z0-9]*';
const envVarNameRe = new RegExp(`^${envVarNameFmt}$`);
export function isEnvVarName(value: string): string[] {
  const errs: string[] = [];
  if (!envVarNameRe.test(value)) {
    errs.push(regexError("a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit",
      envVarNameFmt, 'my.env-name', 'MY_ENV.NAME', 'MyEnvName1'));
  }
  errs.push(...hasChDirPrefix(value));
  return errs;
}

const configMapKeyFmt = '[-._a-zA-Z0-9]+';
const configMapKeyRe = new RegExp(`^${configMapKeyFmt}$`);
export function isConfigMapKey(value: string): string[] {
  const errs: string[] = [];
  if (value.length > DNS1123_SUBDOMAIN_MAX_LENGTH) errs.push(maxLenError(DNS1123_SUBDOMAIN_MAX_LENGTH));
  if (!configMapKeyRe.test(value)) {
    errs.push(regexError("a valid config key must consist of alphanumeric characters, '-', '_' or '.'", configMapKeyFmt, 'key.name', 'KEY_NAME', 'key-name'));
  }
  errs.push(...hasChDirPrefix(value));
  return errs;
}

const percentFmt = '[0-9]+%';
const percentRe = new RegExp(`^${percentFmt}$`);
export function isValidPercent(value: string): string[] {
  if (percentRe.test(value)) return [];
  return [regexError("a valid percent string must be a numeric string followed by an ending '%'", percentFmt, '1%', '93%')];
}

const httpHeaderNameFmt = '[-A-Za-z0-9]+';
const httpHeaderNameRe = new RegExp(`^${httpHeaderNameFmt}$`);
export function isHttpHeaderName(value: string): string[] {
  if (httpHeaderNameRe.test(value)) return [];
  return [regexError("a valid HTTP header must consist of alphanumeric characters or '-'", httpHeaderNameFmt, 'X-Header-Name')];
}

export function isInRange(value: number, min: number, max: number): string[] {
  return value >= min && value <= max ? [] : [inclusiveRangeError(min, max)];
}

export function isValidPortNum(port: number): string[] {
  return Number.isInteger(port) && port >= 1 && port <= 65535 ? [] : [inclusiveRangeError(1, 65535)];
}

/** An IANA_SVC_NAME (RFC 6335): at most 15 of [-a-z0-9], a letter, no '--', no hyphen at either end. */
export function isValidPortName(port: string): string[] {
  const errs: string[] = [];
  if (port.length > 15) errs.push(maxLenError(15));
  if (!/^[-a-z0-9]+$/.test(port)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(port)) errs.push('must contain at least one letter (a-z)');
  if (port.includes('--')) errs.push('must not contain consecutive hyphens');
  if (port.length > 0 && (port.startsWith('-') || port.endsWith('-'))) errs.push('must not begin or end with a hyphen');
  return errs;
}

// ---------------------------------------------------------------------------------------------
// IP addresses and CIDRs

/** A parsed address: 4 bytes for IPv4, 16 for IPv6. */
export type IPBytes = Uint8Array;

// Decimal octets; `sloppy` allows leading zeros (read as decimal), as Kubernetes' ParseIPSloppy does.
function parseIPv4Bytes(s: string, sloppy: boolean): IPBytes | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (p.length === 0 || !/^[0-9]+$/.test(p)) return null;
    if (!sloppy && p.length > 1 && p[0] === '0') return null;
    const n = Number(p);
    if (n > 255) return null;
    out[i] = n;
  }
  return out;
}

function parseIPv6Bytes(s: string, sloppy: boolean): IPBytes | null {
  const out = new Uint8Array(16);
  let ellipsis = -1;
  let i = 0;
  let rest = s;
  if (rest.startsWith('::')) {
    ellipsis = 0;
    rest = rest.slice(2);
    if (rest.length === 0) return out;
  }
  while (i < 16) {
    const m = /^[0-9a-fA-F]{1,4}/.exec(rest);
    if (m === null) return null;
    // An embedded IPv4 tail may occupy the last 32 bits.
    if (rest.length > m[0].length && rest[m[0].length] === '.') {
      if (ellipsis < 0 && i !== 12) return null;
      if (i + 4 > 16) return null;
      const v4 = parseIPv4Bytes(rest, sloppy);
      if (v4 === null) return null;
      out.set(v4, i);
      i += 4;
      rest = '';
      break;
    }
    const v = parseInt(m[0], 16);
    out[i] = v >> 8;
    out[i + 1] = v & 0xff;
    i += 2;
    rest = rest.slice(m[0].length);
    if (rest.length === 0) break;
    if (rest[0] !== ':' || rest.length === 1) return null;
    rest = rest.slice(1);
    if (rest[0] === ':') {
      if (ellipsis >= 0) return null;
      ellipsis = i;
      rest = rest.slice(1);
      if (rest.length === 0) break;
    }
  }
  if (rest.length !== 0) return null;
  if (i < 16) {
    if (ellipsis < 0) return null;
    const n = 16 - i;
    for (let j = i - 1; j >= ellipsis; j--) out[j + n] = out[j]!;
    for (let j = ellipsis + n - 1; j >= ellipsis; j--) out[j] = 0;
  } else if (ellipsis >= 0) {
    // "::" must stand for at least one group.
    return null;
  }
  return out;
}

/**
 * Parses an IPv4 or IPv6 address; `sloppy` (the default, as the legacy fields accept) allows
 * IPv4 octets with leading zeros. Zones are not accepted.
 */
export function parseIP(s: string, sloppy = true): IPBytes | null {
  if (s.includes(':')) return parseIPv6Bytes(s, sloppy);
  return parseIPv4Bytes(s, sloppy);
}

function isIPv4Mapped(b: IPBytes): boolean {
  if (b.length !== 16) return false;
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

/** Canonical text: dotted IPv4 (also for IPv4-mapped IPv6, as Go prints it), RFC 5952 IPv6. */
export function formatIP(b: IPBytes): string {
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  if (isIPv4Mapped(b)) return `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((b[i]! << 8) | b[i + 1]!);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = (g: number): string => g.toString(16);
  if (bestStart < 0) return groups.map(hex).join(':');
  return `${groups.slice(0, bestStart).map(hex).join(':')}::${groups.slice(bestStart + bestLen).map(hex).join(':')}`;
}

/** A strictly valid IP in canonical form (upstream IsValidIP). */
export function isValidIP(path: FieldPath, value: string): FieldError[] {
  const ip = parseIP(value, true);
  if (ip === null) return [field.invalid(path, value, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)')];
  const errs: FieldError[] = [];
  if (parseIP(value, false) === null) errs.push(field.invalid(path, value, 'must not have leading 0s'));
  if (isIPv4Mapped(ip)) errs.push(field.invalid(path, value, 'must not be an IPv4-mapped IPv6 address'));
  if (errs.length > 0) return errs;
  const canonical = formatIP(ip);
  if (value !== canonical) errs.push(field.invalid(path, value, `must be in canonical form (${goQuote(canonical)})`));
  return errs;
}

export interface ParsedCIDR { ip: IPBytes; prefixLength: number; network: IPBytes }

function maskBytes(ip: IPBytes, bits: number): IPBytes {
  const out = new Uint8Array(ip.length);
  for (let i = 0; i < ip.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    out[i] = ip[i]! & ((0xff << (8 - keep)) & 0xff);
  }
  return out;
}

/** Parses `addr/len`; `sloppy` allows leading zeros as ParseCIDRSloppy does. */
export function parseCIDR(s: string, sloppy = true): ParsedCIDR | null {
  const slash = s.indexOf('/');
  if (slash < 0) return null;
  const addr = s.slice(0, slash);
  const len = s.slice(slash + 1);
  const ip = parseIP(addr, sloppy);
  if (ip === null || !/^[0-9]+$/.test(len) || len.length > 8) return null;
  if (!sloppy && len.length > 1 && len[0] === '0') return null;
  const bits = Number(len);
  if (bits > ip.length * 8) return null;
  return { ip, prefixLength: bits, network: maskBytes(ip, bits) };
}

export function formatCIDR(c: { network: IPBytes; prefixLength: number }): string {
  return `${formatIP(c.network)}/${c.prefixLength}`;
}

/** A strictly valid CIDR in canonical form (upstream IsValidCIDR). */
export function isValidCIDR(path: FieldPath, value: string): FieldError[] {
  const c = parseCIDR(value, true);
  if (c === null) return [field.invalid(path, value, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)')];
  if (parseCIDR(value, false) === null) return [field.invalid(path, value, 'must not have leading 0s in IP or prefix length')];
  if (isIPv4Mapped(c.ip)) return [field.invalid(path, value, 'must not have an IPv4-mapped IPv6 address')];
  if (!c.ip.every((b, i) => b === c.network[i])) return [field.invalid(path, value, 'must not have bits set beyond the prefix length')];
  const canonical = formatCIDR(c);
  return value === canonical ? [] : [field.invalid(path, value, `must be in canonical form (${goQuote(canonical)})`)];
}

// ---------------------------------------------------------------------------------------------
// Names of objects

/** Validates an object name, or (prefix = true) a generateName prefix. Returns messages. */
export type NameValidator = (name: string, prefix: boolean) => string[];

// A generateName prefix may end in '-'; a random suffix follows, so test it as if it ended in 'a'.
function maskTrailingDash(name: string): string {
  return name.length > 1 && name.endsWith('-') ? name.slice(0, -2) + 'a' : name;
}

export const nameIsDnsSubdomain: NameValidator = (name, prefix) => isDns1123Subdomain(prefix ? maskTrailingDash(name) : name);
export const nameIsDnsLabel: NameValidator = (name, prefix) => isDns1123Label(prefix ? maskTrailingDash(name) : name);
export const nameIsDns1035Label: NameValidator = (name, prefix) => isDns1035Label(prefix ? maskTrailingDash(name) : name);
export const validateNamespaceName: NameValidator = nameIsDnsLabel;

/**
 * Path-segment names (upstream api/validation/path), for resources whose names are not DNS names:
 * a name may not be '.' or '..' nor contain '/' or '%', because it becomes part of a URL.
 */
export const nameIsPathSegment: NameValidator = (name, prefix) => {
  if (!prefix && (name === '.' || name === '..')) return [`may not be '${name}'`];
  const errs: string[] = [];
  for (const ch of ['/', '%']) if (name.includes(ch)) errs.push(`may not contain '${ch}'`);
  return errs;
};

// ---------------------------------------------------------------------------------------------
// ObjectMeta

export const IS_NEGATIVE_ERROR_MSG = 'must be greater than or equal to 0';
export const FIELD_IMMUTABLE_ERROR_MSG = 'field is immutable';
export const TOTAL_ANNOTATION_SIZE_LIMIT_BYTES = 256 * 1024;
export const FIELD_MANAGER_MAX_LENGTH = 128;
export const MAX_SUBRESOURCE_NAME_LENGTH = 256;
const FINALIZER_ORPHAN_DEPENDENTS = 'orphan';
const FINALIZER_DELETE_DEPENDENTS = 'foregroundDeletion';

export function validateNonnegativeField(value: number, path: FieldPath): FieldError[] {
  return value < 0 ? [field.invalid(path, value, IS_NEGATIVE_ERROR_MSG)] : [];
}

export function validateLabelName(name: string, path: FieldPath): FieldError[] {
  return isQualifiedName(name).map((m) => field.invalid(path, name, m));
}

/** Label keys and values; errors carry the map's path, not the key's, as upstream's do. */
export function validateLabels(labels: Record<string, string> | undefined, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (labels === undefined) return errs;
  for (const [k, v] of Object.entries(labels)) {
    errs.push(...validateLabelName(k, path));
    for (const m of isValidLabelValue(v)) errs.push(field.invalid(path, v, m));
  }
  return errs;
}

export function validateAnnotations(annotations: Record<string, string> | undefined, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (annotations === undefined) return errs;
  let total = 0;
  for (const [k, v] of Object.entries(annotations)) {
    // Annotation keys are case-insensitive qualified names.
    for (const m of isQualifiedName(k.toLowerCase())) errs.push(field.invalid(path, k, m));
    total += utf8Length(k) + utf8Length(v);
  }
  if (total > TOTAL_ANNOTATION_SIZE_LIMIT_BYTES) errs.push(field.tooLong(path, TOTAL_ANNOTATION_SIZE_LIMIT_BYTES));
  return errs;
}

/** Splits `group/version` or `version`; null when malformed (more than one '/'). */
export function parseGroupVersion(gv: string): { group: string; version: string } | null {
  if (gv === '' || gv === '/') return { group: '', version: '' };
  const parts = gv.split('/');
  if (parts.length === 1) return { group: '', version: gv };
  if (parts.length === 2) return { group: parts[0]!, version: parts[1]! };
  return null;
}

// Events may not own objects: the garbage collector would delete dependents when an event expires.
const BANNED_OWNERS = new Set(['/v1, Kind=Event']);

function validateOwnerReference(ref: OwnerReference, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const apiVersion = ref.apiVersion ?? '';
  const gv = parseGroupVersion(apiVersion);
  if (apiVersion.length === 0) errs.push(field.required(path.child('apiVersion'), 'must not be empty'));
  else if (gv === null || gv.version.length === 0) errs.push(field.invalid(path.child('apiVersion'), apiVersion, 'must be <group>/<version> or <version>'));
  if (!ref.kind) errs.push(field.required(path.child('kind'), 'must not be empty'));
  if (!ref.name) errs.push(field.required(path.child('name'), 'must not be empty'));
  if (!ref.uid) errs.push(field.required(path.child('uid'), 'must not be empty'));
  const gvk = `${gv?.group ?? ''}/${gv?.version ?? ''}, Kind=${ref.kind ?? ''}`;
  if (BANNED_OWNERS.has(gvk)) errs.push(field.invalid(path, ref, `${gvk} is disallowed from being an owner`));
  return errs;
}

export function validateOwnerReferences(refs: readonly OwnerReference[] | undefined, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (refs === undefined) return errs;
  let firstController = '';
  refs.forEach((ref, i) => {
    errs.push(...validateOwnerReference(ref, path.index(i)));
    if (ref.controller === true) {
      const cur = `${ref.kind ?? ''}/${ref.name ?? ''}`;
      if (firstController !== '') {
        errs.push(field.invalid(path, refs,
          `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${cur}`));
      } else {
        firstController = cur;
      }
    }
  });
  return errs;
}

export function validateFinalizers(finalizers: readonly string[] | undefined, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (finalizers === undefined) return errs;
  for (const f of finalizers) for (const m of isQualifiedName(f)) errs.push(field.invalid(path, f, m));
  if (finalizers.includes(FINALIZER_ORPHAN_DEPENDENTS) && finalizers.includes(FINALIZER_DELETE_DEPENDENTS)) {
    errs.push(field.invalid(path, finalizers,
      `finalizer ${FINALIZER_ORPHAN_DEPENDENTS} and ${FINALIZER_DELETE_DEPENDENTS} cannot be both set`));
  }
  return errs;
}

/** The field manager name recorded in managedFields: at most 128 bytes of printable characters. */
export function validateFieldManager(manager: string, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (utf8Length(manager) > FIELD_MANAGER_MAX_LENGTH) errs.push(field.tooLong(path, FIELD_MANAGER_MAX_LENGTH));
  let pos = 0;
  for (const ch of manager) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp !== 0x20 && /[\p{C}\p{Z}]/u.test(ch)) {
      const hex = cp.toString(16).toUpperCase().padStart(4, '0');
      errs.push(field.invalid(path, manager, `invalid character U+${hex} (at position ${pos})`));
    }
    pos += utf8Length(ch);
  }
  return errs;
}

export function validateManagedFields(entries: readonly ManagedFieldsEntry[] | undefined, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (entries === undefined) return errs;
  entries.forEach((e, i) => {
    const p = path.index(i);
    const op = e.operation ?? '';
    if (op === '') errs.push(field.required(p.child('operation'), 'must not be empty'));
    else if (op !== 'Apply' && op !== 'Update') errs.push(field.notSupported(p.child('operation'), op, ['Apply', 'Update']));
    if (e.fieldsType && e.fieldsType !== 'FieldsV1') errs.push(field.invalid(p.child('fieldsType'), e.fieldsType, 'must be `FieldsV1`'));
    errs.push(...validateFieldManager(e.manager ?? '', p.child('manager')));
    if (utf8Length(e.subresource ?? '') > MAX_SUBRESOURCE_NAME_LENGTH) errs.push(field.tooLong(p.child('subresource'), MAX_SUBRESOURCE_NAME_LENGTH));
  });
  return errs;
}

export interface ObjectMetaValidationOptions {
  /** Whether the resource lives in a namespace (then metadata.namespace is required). */
  namespaced: boolean;
  /** Name format of the resource; most use nameIsDnsSubdomain. */
  nameValidator: NameValidator;
}

/** ObjectMeta of an object being created. */
export function validateObjectMeta(meta: ObjectMeta, opts: ObjectMetaValidationOptions, path: FieldPath = fieldPath('metadata')): FieldError[] {
  const errs: FieldError[] = [];
  const generateName = meta.generateName ?? '';
  const name = meta.name ?? '';
  const namespace = meta.namespace ?? '';
  if (generateName.length > 0) {
    for (const m of opts.nameValidator(generateName, true)) errs.push(field.invalid(path.child('generateName'), generateName, m));
  }
  if (name.length === 0) errs.push(field.required(path.child('name'), 'name or generateName is required'));
  else for (const m of opts.nameValidator(name, false)) errs.push(field.invalid(path.child('name'), name, m));

  if (opts.namespaced) {
    if (namespace.length === 0) errs.push(field.required(path.child('namespace')));
    else for (const m of validateNamespaceName(namespace, false)) errs.push(field.invalid(path.child('namespace'), namespace, m));
  } else if (namespace.length !== 0) {
    errs.push(field.forbidden(path.child('namespace'), 'not allowed on this type'));
  }
  errs.push(...validateNonnegativeField(meta.generation ?? 0, path.child('generation')));
  errs.push(...validateLabels(meta.labels, path.child('labels')));
  errs.push(...validateAnnotations(meta.annotations, path.child('annotations')));
  errs.push(...validateOwnerReferences(meta.ownerReferences, path.child('ownerReferences')));
  errs.push(...validateFinalizers(meta.finalizers, path.child('finalizers')));
  errs.push(...validateManagedFields(meta.managedFields, path.child('managedFields')));
  return errs;
}

/** `field is immutable` when the values differ; pass '' for an absent string, as Go's zero value. */
export function validateImmutableField(newVal: unknown, oldVal: unknown, path: FieldPath): FieldError[] {
  return deepEqual(newVal, oldVal) ? [] : [field.invalid(path, newVal ?? null, FIELD_IMMUTABLE_ERROR_MSG)];
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isRecord(a) && isRecord(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/** Go's %#v of a []string, used in the finalizer message. */
function goStringSlice(xs: readonly string[]): string {
  return `[]string{${xs.map(goQuote).join(', ')}}`;
}

/** ObjectMeta of an update, against the stored object. */
export function validateObjectMetaUpdate(newMeta: ObjectMeta, oldMeta: ObjectMeta, path: FieldPath = fieldPath('metadata')): FieldError[] {
  const errs: FieldError[] = [];
  if (oldMeta.deletionTimestamp) {
    const old = new Set(oldMeta.finalizers ?? []);
    const extra = [...new Set((newMeta.finalizers ?? []).filter((f) => !old.has(f)))].sort();
    if (extra.length > 0) {
      errs.push(field.forbidden(path.child('finalizers'),
        `no new finalizers can be added if the object is being deleted, found new finalizers ${goStringSlice(extra)}`));
    }
  }
  const rv = newMeta.resourceVersion ?? '';
  if (rv.length === 0) errs.push(field.invalid(path.child('resourceVersion'), rv, 'must be specified for an update'));
  const gen = newMeta.generation ?? 0;
  errs.push(...validateNonnegativeField(gen, path.child('generation')));
  if (gen < (oldMeta.generation ?? 0)) errs.push(field.invalid(path.child('generation'), gen, 'must not be decremented'));

  errs.push(...validateImmutableField(newMeta.name ?? '', oldMeta.name ?? '', path.child('name')));
  errs.push(...validateImmutableField(newMeta.namespace ?? '', oldMeta.namespace ?? '', path.child('namespace')));
  errs.push(...validateImmutableField(newMeta.uid ?? '', oldMeta.uid ?? '', path.child('uid')));
  errs.push(...validateImmutableField(newMeta.creationTimestamp ?? null, oldMeta.creationTimestamp ?? null, path.child('creationTimestamp')));
  errs.push(...validateImmutableField(newMeta.deletionTimestamp ?? null, oldMeta.deletionTimestamp ?? null, path.child('deletionTimestamp')));
  errs.push(...validateImmutableField(newMeta.deletionGracePeriodSeconds ?? null, oldMeta.deletionGracePeriodSeconds ?? null,
    path.child('deletionGracePeriodSeconds')));

  errs.push(...validateLabels(newMeta.labels, path.child('labels')));
  errs.push(...validateAnnotations(newMeta.annotations, path.child('annotations')));
  errs.push(...validateOwnerReferences(newMeta.ownerReferences, path.child('ownerReferences')));
  errs.push(...validateManagedFields(newMeta.managedFields, path.child('managedFields')));
  return errs;
}

// ---------------------------------------------------------------------------------------------
// LabelSelector (metav1) validation, as workloads' spec.selector is validated

export interface LabelSelectorValidationOptions {
  /** Accept values that are not valid label values (for objects stored before the check). */
  allowInvalidLabelValueInSelector?: boolean;
  /** Accept operators other than In, NotIn, Exists, DoesNotExist. */
  allowUnknownOperatorInRequirement?: boolean;
}

export function validateLabelSelectorRequirement(
  req: LabelSelectorRequirement, opts: LabelSelectorValidationOptions, path: FieldPath,
): FieldError[] {
  const errs: FieldError[] = [];
  const values = req.values ?? [];
  // Absent fields are Go's zero values ("" here): a `[null]` element decodes to an empty requirement.
  const key = req.key ?? '';
  switch (req.operator ?? '') {
    case 'In': case 'NotIn':
      if (values.length === 0) errs.push(field.required(path.child('values'), "must be specified when `operator` is 'In' or 'NotIn'"));
      break;
    case 'Exists': case 'DoesNotExist':
      if (values.length > 0) errs.push(field.forbidden(path.child('values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
      break;
    default:
      if (!opts.allowUnknownOperatorInRequirement) errs.push(field.invalid(path.child('operator'), req.operator ?? '', 'not a valid selector operator'));
  }
  errs.push(...validateLabelName(key, path.child('key')));
  if (!opts.allowInvalidLabelValueInSelector) {
    values.forEach((v, i) => {
      for (const m of isValidLabelValue(v)) errs.push(field.invalid(path.child('values').index(i), v, m));
    });
  }
  return errs;
}

export function validateLabelSelector(
  ls: LabelSelector | undefined, opts: LabelSelectorValidationOptions, path: FieldPath,
): FieldError[] {
  const errs: FieldError[] = [];
  if (ls === undefined) return errs;
  errs.push(...validateLabels(ls.matchLabels, path.child('matchLabels')));
  (ls.matchExpressions ?? []).forEach((e, i) => {
    errs.push(...validateLabelSelectorRequirement(e, opts, path.child('matchExpressions').index(i)));
  });
  return errs;
}
