// Pod volumes on the node's disk, under `<podDir>/volumes/<name>`, and the mounts a container gets
// from its volumeMounts. configMap, secret, downwardAPI and projected volumes are files written
// by the kubelet (atomically: a new directory is filled, then swapped in, so a reader never sees
// half a volume); emptyDir is a directory that lives as long as the pod; hostPath is the node's
// own path. A missing ConfigMap or Secret that is not optional is a VolumeError: the pod stays
// ContainerCreating and the kubelet reports FailedMount until it appears.
import { chmodSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import type { Container, KeyToPath, Pod, Volume } from 'kubernetes-types/core/v1.js';
import type { ConfigSource } from './env.js';
import { podFieldValue, resourceFieldValue } from './env.js';
import type { Mount } from './runtime/runtime.js';

export class VolumeError extends Error {
  constructor(
    readonly volume: string,
    message: string,
  ) {
    super(`MountVolume.SetUp failed for volume "${volume}" : ${message}`);
    this.name = 'VolumeError';
  }
}

type Files = Map<string, { data: Buffer; mode?: number }>;

function addItems(files: Files, all: Record<string, Buffer>, items: KeyToPath[] | undefined, mode: number | undefined, what: string, optional: boolean | undefined): void {
  if (!items || items.length === 0) {
    for (const [k, v] of Object.entries(all)) files.set(k, { data: v, mode });
    return;
  }
  for (const it of items) {
    const v = all[it.key];
    if (v === undefined) {
      if (optional) continue;
      throw new Error(`configmap references non-existent config key: ${it.key}`.replace('configmap', what));
    }
    files.set(it.path, { data: v, mode: it.mode ?? mode });
  }
}

function configMapData(cm: { data?: Record<string, string>; binaryData?: Record<string, string> }): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(cm.data ?? {})) out[k] = Buffer.from(v, 'utf8');
  for (const [k, v] of Object.entries(cm.binaryData ?? {})) out[k] = Buffer.from(v, 'base64');
  return out;
}

function secretData(s: { data?: Record<string, string> }): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(s.data ?? {})) out[k] = Buffer.from(v, 'base64');
  return out;
}

async function volumeFiles(pod: Pod, v: Volume, config: ConfigSource, allocatable: Record<string, string>): Promise<Files | undefined> {
  const ns = pod.metadata?.namespace ?? 'default';
  const files: Files = new Map();
  const fromConfigMap = async (name: string, items: KeyToPath[] | undefined, optional: boolean | undefined, mode: number | undefined): Promise<void> => {
    const cm = await config.configMap(ns, name);
    if (!cm) {
      if (optional) return;
      throw new Error(`configmap "${name}" not found`);
    }
    addItems(files, configMapData(cm), items, mode, 'configmap', optional);
  };
  const fromSecret = async (name: string, items: KeyToPath[] | undefined, optional: boolean | undefined, mode: number | undefined): Promise<void> => {
    const s = await config.secret(ns, name);
    if (!s) {
      if (optional) return;
      throw new Error(`secret "${name}" not found`);
    }
    addItems(files, secretData(s), items, mode, 'secret', optional);
  };
  const fromDownward = (items: Array<{ path: string; mode?: number; fieldRef?: { fieldPath: string }; resourceFieldRef?: { containerName?: string; resource: string; divisor?: string | number } }>, mode: number | undefined): void => {
    for (const it of items) {
      let value = '';
      if (it.fieldRef) value = podFieldValue(pod, it.fieldRef.fieldPath);
      else if (it.resourceFieldRef) {
        const c = (pod.spec?.containers ?? []).find((x) => x.name === it.resourceFieldRef!.containerName) ?? pod.spec?.containers?.[0];
        if (c) value = resourceFieldValue(c, { resource: it.resourceFieldRef.resource, divisor: it.resourceFieldRef.divisor === undefined ? undefined : String(it.resourceFieldRef.divisor) }, allocatable);
      }
      files.set(it.path, { data: Buffer.from(value, 'utf8'), mode: it.mode ?? mode });
    }
  };
  if (v.configMap) {
    await fromConfigMap(v.configMap.name ?? '', v.configMap.items, v.configMap.optional, v.configMap.defaultMode);
    return files;
  }
  if (v.secret) {
    await fromSecret(v.secret.secretName ?? '', v.secret.items, v.secret.optional, v.secret.defaultMode);
    return files;
  }
  if (v.downwardAPI) {
    fromDownward(v.downwardAPI.items ?? [], v.downwardAPI.defaultMode);
    return files;
  }
  if (v.projected) {
    for (const src of v.projected.sources ?? []) {
      if (src.configMap) await fromConfigMap(src.configMap.name ?? '', src.configMap.items, src.configMap.optional, v.projected.defaultMode);
      else if (src.secret) await fromSecret(src.secret.name ?? '', src.secret.items, src.secret.optional, v.projected.defaultMode);
      else if (src.downwardAPI) fromDownward(src.downwardAPI.items ?? [], v.projected.defaultMode);
      // serviceAccountToken sources need the token API (the security issue); they are left empty.
    }
    return files;
  }
  return undefined;
}

/** A relative path that stays inside the volume (no `..`, not absolute). */
function safeRelative(p: string): boolean {
  const n = normalize(p);
  return !n.startsWith('/') && n !== '..' && !n.startsWith('../');
}

function writeFilesAtomically(dir: string, files: Files): void {
  const next = `${dir}.new`;
  rmSync(next, { recursive: true, force: true });
  mkdirSync(next, { recursive: true });
  for (const [path, f] of files) {
    if (!safeRelative(path)) continue; // validation refuses these; never write outside the volume
    const full = join(next, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, f.data);
    chmodSync(full, f.mode ?? 0o644);
  }
  const old = `${dir}.old`;
  rmSync(old, { recursive: true, force: true });
  if (existsSync(dir)) renameSync(dir, old);
  renameSync(next, dir);
  rmSync(old, { recursive: true, force: true });
}

export interface VolumeSetupOptions {
  pod: Pod;
  podDir: string;
  config: ConfigSource;
  allocatable: Record<string, string>;
}

/** Materialises every volume of the pod; answers volume name → path on the node. */
export async function setUpVolumes(opts: VolumeSetupOptions): Promise<Map<string, string>> {
  const paths = new Map<string, string>();
  for (const v of opts.pod.spec?.volumes ?? []) {
    if (v.hostPath) {
      const type = v.hostPath.type ?? '';
      if (type === 'DirectoryOrCreate') mkdirSync(v.hostPath.path, { recursive: true });
      else if (type === 'FileOrCreate' && !existsSync(v.hostPath.path)) {
        mkdirSync(dirname(v.hostPath.path), { recursive: true });
        writeFileSync(v.hostPath.path, '');
      } else if ((type === 'Directory' || type === 'File') && !existsSync(v.hostPath.path)) {
        throw new VolumeError(v.name, `hostPath type check failed: ${v.hostPath.path} is not a ${type === 'File' ? 'file' : 'directory'}`);
      }
      paths.set(v.name, v.hostPath.path);
      continue;
    }
    const dir = join(opts.podDir, 'volumes', v.name);
    if (v.emptyDir) {
      mkdirSync(dir, { recursive: true });
      paths.set(v.name, dir);
      continue;
    }
    let files: Files | undefined;
    try {
      files = await volumeFiles(opts.pod, v, opts.config, opts.allocatable);
    } catch (err) {
      throw new VolumeError(v.name, err instanceof Error ? err.message : String(err));
    }
    if (files === undefined) {
      // A volume type this node cannot provide (a PVC, a cloud disk): an empty directory, so the
      // pod can still run; the volume issue brings the real thing.
      mkdirSync(dir, { recursive: true });
    } else {
      writeFilesAtomically(dir, files);
    }
    paths.set(v.name, dir);
  }
  return paths;
}

/** The container's mounts (subPath joined in); a mount of an undeclared volume is skipped. */
export function containerMounts(container: Container, volumes: Map<string, string>): Mount[] {
  const out: Mount[] = [];
  for (const m of container.volumeMounts ?? []) {
    const base = volumes.get(m.name);
    if (base === undefined) continue;
    const sub = m.subPath && safeRelative(m.subPath) ? m.subPath : '';
    out.push({ hostPath: sub ? join(base, sub) : base, containerPath: m.mountPath, readOnly: m.readOnly ?? false });
  }
  return out;
}
