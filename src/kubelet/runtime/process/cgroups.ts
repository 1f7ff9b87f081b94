// Cgroups for containers of the process runtime: limits (memory, CPU quota and weight, pids),
// usage for `stats`, the kernel's OOM-kill counter (how an OOMKilled exit is told from any other
// SIGKILL), and killing everything a container left behind.
//
// Layout: <parent>/capstan/node-<node key>/<container id>, in every hierarchy we use. The node key
// keeps several runtimes in one process apart, and stale cleanup only walks its own node's folder.
//  - cgroup v1 (separate hierarchies memory, cpu, cpuacct, pids, possibly co-mounted): the default
//    parent is the runtime's own cgroup in each hierarchy, so containers stay inside whatever
//    envelope the node process was given.
//  - cgroup v2 (one tree, detected by /sys/fs/cgroup/cgroup.controllers): a cgroup that holds
//    processes cannot hand controllers to children, so the own cgroup will not do; the default
//    parent is the root and the controllers are enabled down the path.
// The processes join their cgroup themselves before they exec the user's command (launch.ts), so
// there is no window where a fork escapes the limits.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, readdir, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainerResources, ContainerStats } from '../runtime.js';
import { delay, killPid } from './host.js';
import { nodeCgroupDir } from './names.js';

const V1_CONTROLLERS = ['memory', 'cpu', 'cpuacct', 'pids'] as const;
type V1Controller = (typeof V1_CONTROLLERS)[number];
const V2_CONTROLLERS = ['memory', 'cpu', 'pids'];
const CFS_PERIOD_US = 100_000;

interface MountInfo {
  root: string;
  mountPoint: string;
  fsType: string;
  superOptions: string[];
}

function readMounts(): MountInfo[] {
  const out: MountInfo[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep === -1) continue;
    const left = line.slice(0, sep).split(' ');
    const right = line.slice(sep + 3).split(' ');
    out.push({ root: unescapeMount(left[3]), mountPoint: unescapeMount(left[4]), fsType: right[0], superOptions: (right[2] ?? '').split(',') });
  }
  return out;
}

function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** This process's cgroup path per v1 controller ('' key: the v2 path). */
function ownCgroups(): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    if (m[1] === '') out.set('', m[2]);
    for (const c of m[1].split(',')) if (c) out.set(c, m[2]);
  }
  return out;
}

function under(mount: MountInfo, path: string): string {
  // Inside a cgroup namespace the mount's root may be a prefix of the path we are told.
  const rel = mount.root !== '/' && path.startsWith(mount.root) ? path.slice(mount.root.length) : path;
  return join(mount.mountPoint, rel);
}

export interface CgroupDetectOptions {
  /** Cgroup path (inside each hierarchy) to place containers under; see the file comment. */
  parent?: string;
}

/** Where containers' cgroups go on this machine, or why there are none. */
export type CgroupDetection = { ok: true; host: CgroupHost } | { ok: false; why: string };

export function detectCgroups(options: CgroupDetectOptions = {}): CgroupDetection {
  try {
    if (existsSync('/sys/fs/cgroup/cgroup.controllers')) {
      const available = readFileSync('/sys/fs/cgroup/cgroup.controllers', 'utf8').trim().split(/\s+/);
      const missing = V2_CONTROLLERS.filter((c) => !available.includes(c));
      if (missing.length) return { ok: false, why: `cgroup v2 lacks the ${missing.join(', ')} controller(s)` };
      return { ok: true, host: new CgroupHost(2, new Map([['', join('/sys/fs/cgroup', options.parent ?? '/')]])) };
    }
    const mounts = readMounts().filter((m) => m.fsType === 'cgroup');
    const own = ownCgroups();
    const parents = new Map<string, string>();
    for (const c of V1_CONTROLLERS) {
      const mount = mounts.find((m) => m.superOptions.includes(c));
      if (!mount) continue;
      parents.set(c, under(mount, options.parent ?? own.get(c) ?? '/'));
    }
    if (!parents.has('memory') || !parents.has('cpu')) return { ok: false, why: 'no cgroup memory and cpu controllers are mounted' };
    return { ok: true, host: new CgroupHost(1, parents) };
  } catch (err) {
    return { ok: false, why: `cannot read cgroups: ${String(err)}` };
  }
}

/** The cgroup hierarchies of one machine; makes and cleans the node's container cgroups. */
export class CgroupHost {
  constructor(
    readonly version: 1 | 2,
    /** v1: controller → parent directory; v2: '' → parent directory. */
    private readonly parents: Map<string, string>,
  ) {}

  /** Distinct directories holding this node's containers (co-mounted controllers share one). */
  nodeDirs(nodeName: string): string[] {
    return [...new Set([...this.parents.values()].map((p) => join(p, nodeCgroupDir(nodeName))))];
  }

  /** Creates the node's folders (v2: and enables the controllers down to them). */
  async prepareNode(nodeName: string): Promise<void> {
    if (this.version === 1) {
      for (const dir of this.nodeDirs(nodeName)) await mkdir(dir, { recursive: true });
      return;
    }
    const parent = this.parents.get('') as string;
    // Each level must offer the controllers to the next, from the parent down to the node folder.
    const levels = [parent, join(parent, 'capstan'), join(parent, nodeCgroupDir(nodeName))];
    for (let i = 0; i < levels.length; i++) {
      if (i > 0) await mkdir(levels[i], { recursive: true });
      const enabled = (await readFile(join(levels[i], 'cgroup.subtree_control'), 'utf8')).trim().split(/\s+/);
      const want = V2_CONTROLLERS.filter((c) => !enabled.includes(c));
      if (want.length) await writeFile(join(levels[i], 'cgroup.subtree_control'), want.map((c) => `+${c}`).join(' '));
    }
  }

  /** Makes a container's cgroup with its limits. */
  async create(nodeName: string, containerId: string, resources: ContainerResources): Promise<Cgroup> {
    const dirs = new Map<string, string>();
    for (const [controller, parent] of this.parents) dirs.set(controller, join(parent, nodeCgroupDir(nodeName), containerId));
    const cg = new Cgroup(this.version, dirs);
    try {
      for (const dir of cg.dirs) await mkdir(dir, { recursive: true });
      await cg.applyLimits(resources);
    } catch (err) {
      await cg.remove().catch(() => undefined);
      throw err;
    }
    return cg;
  }

  /** The cgroup dirs of containers of `nodeName` that exist now (after a crash: leftovers). */
  async existing(nodeName: string): Promise<Cgroup[]> {
    const ids = new Set<string>();
    for (const dir of this.nodeDirs(nodeName)) {
      for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) if (e.isDirectory()) ids.add(e.name);
    }
    return [...ids].map((id) => this.open(nodeName, id));
  }

  open(nodeName: string, containerId: string): Cgroup {
    const dirs = new Map<string, string>();
    for (const [controller, parent] of this.parents) dirs.set(controller, join(parent, nodeCgroupDir(nodeName), containerId));
    return new Cgroup(this.version, dirs);
  }

  /** Removes the node's (empty) folders, and the shared `capstan` folder when nobody uses it. */
  async removeNode(nodeName: string): Promise<void> {
    for (const dir of this.nodeDirs(nodeName)) {
      await rmdir(dir).catch(() => undefined);
      await rmdir(join(dir, '..')).catch(() => undefined);
    }
  }
}

async function readNumber(file: string): Promise<number | undefined> {
  try {
    const n = Number((await readFile(file, 'utf8')).trim());
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

async function readKeyed(file: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  try {
    for (const line of (await readFile(file, 'utf8')).split('\n')) {
      const [k, v] = line.trim().split(/\s+/);
      if (k && v !== undefined) out.set(k, Number(v));
    }
  } catch {
    // absent: no values
  }
  return out;
}

/** One container's cgroup (one directory per hierarchy on v1). */
export class Cgroup {
  constructor(
    readonly version: 1 | 2,
    private readonly byController: Map<string, string>,
  ) {}

  /** Distinct directories. */
  get dirs(): string[] {
    return [...new Set(this.byController.values())];
  }

  /** The files a process writes its pid to in order to join (one per distinct directory). */
  get procsFiles(): string[] {
    return this.dirs.map((d) => join(d, 'cgroup.procs'));
  }

  private dir(controller: V1Controller | ''): string | undefined {
    return this.byController.get(this.version === 2 ? '' : controller);
  }

  async applyLimits(r: ContainerResources): Promise<void> {
    const shares = r.cpuRequestMillis ?? r.cpuLimitMillis;
    if (this.version === 1) {
      const mem = this.dir('memory');
      if (mem && r.memoryLimitBytes !== undefined) {
        await writeFile(join(mem, 'memory.limit_in_bytes'), String(r.memoryLimitBytes));
        // With swap accounting the limit must cover swap too, or a breach pages out instead of
        // being OOM-killed. Absent without swap accounting: nothing to do then.
        if (existsSync(join(mem, 'memory.memsw.limit_in_bytes'))) {
          await writeFile(join(mem, 'memory.memsw.limit_in_bytes'), String(r.memoryLimitBytes)).catch(() => undefined);
        }
      }
      const cpu = this.dir('cpu');
      if (cpu && r.cpuLimitMillis !== undefined) {
        await writeFile(join(cpu, 'cpu.cfs_period_us'), String(CFS_PERIOD_US));
        await writeFile(join(cpu, 'cpu.cfs_quota_us'), String(quotaUs(r.cpuLimitMillis)));
      }
      if (cpu && shares !== undefined) await writeFile(join(cpu, 'cpu.shares'), String(cpuShares(shares)));
      const pids = this.dir('pids');
      if (pids && r.pidsLimit !== undefined) await writeFile(join(pids, 'pids.max'), String(r.pidsLimit));
      return;
    }
    const dir = this.dir('') as string;
    if (r.memoryLimitBytes !== undefined) {
      await writeFile(join(dir, 'memory.max'), String(r.memoryLimitBytes));
      if (existsSync(join(dir, 'memory.swap.max'))) await writeFile(join(dir, 'memory.swap.max'), '0').catch(() => undefined);
    }
    if (r.cpuLimitMillis !== undefined) await writeFile(join(dir, 'cpu.max'), `${quotaUs(r.cpuLimitMillis)} ${CFS_PERIOD_US}`);
    if (shares !== undefined) await writeFile(join(dir, 'cpu.weight'), String(sharesToWeight(cpuShares(shares))));
    if (r.pidsLimit !== undefined) await writeFile(join(dir, 'pids.max'), String(r.pidsLimit));
  }

  /** How many processes the kernel OOM-killed in this cgroup. */
  async oomKills(): Promise<number> {
    if (this.version === 1) {
      const mem = this.dir('memory');
      return mem ? ((await readKeyed(join(mem, 'memory.oom_control'))).get('oom_kill') ?? 0) : 0;
    }
    return (await readKeyed(join(this.dir('') as string, 'memory.events'))).get('oom_kill') ?? 0;
  }

  async stats(): Promise<ContainerStats | undefined> {
    if (this.version === 1) {
      const mem = this.dir('memory');
      const acct = this.dir('cpuacct');
      const usage = mem ? await readNumber(join(mem, 'memory.usage_in_bytes')) : undefined;
      if (usage === undefined) return undefined;
      const inactive = mem ? ((await readKeyed(join(mem, 'memory.stat'))).get('total_inactive_file') ?? 0) : 0;
      const cpu = acct ? ((await readNumber(join(acct, 'cpuacct.usage'))) ?? 0) : 0;
      return { cpuUsageNanos: cpu, memoryWorkingSetBytes: Math.max(0, usage - inactive) };
    }
    const dir = this.dir('') as string;
    const usage = await readNumber(join(dir, 'memory.current'));
    if (usage === undefined) return undefined;
    const inactive = (await readKeyed(join(dir, 'memory.stat'))).get('inactive_file') ?? 0;
    const cpuUsec = (await readKeyed(join(dir, 'cpu.stat'))).get('usage_usec') ?? 0;
    return { cpuUsageNanos: cpuUsec * 1000, memoryWorkingSetBytes: Math.max(0, usage - inactive) };
  }

  async pids(): Promise<number[]> {
    const out = new Set<number>();
    for (const file of this.procsFiles) {
      const text = await readFile(file, 'utf8').catch(() => '');
      for (const line of text.split('\n')) if (line.trim()) out.add(Number(line));
    }
    return [...out];
  }

  /** SIGKILLs every process in the cgroup, again while new ones appear (a fork racing the kill). */
  async killAll(): Promise<void> {
    for (let round = 0; round < 20; round++) {
      const pids = await this.pids();
      if (pids.length === 0) return;
      for (const pid of pids) killPid(pid, 'SIGKILL');
      await delay(round < 5 ? 5 : 50);
    }
  }

  /** Kills what is left and removes the directories (a cgroup empties shortly after its kill). */
  async remove(): Promise<void> {
    await this.killAll();
    let lastError: unknown;
    for (const dir of this.dirs) {
      for (let attempt = 0; attempt < 40; attempt++) {
        try {
          await rmdir(dir);
          lastError = undefined;
          break;
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') {
            lastError = undefined;
            break;
          }
          lastError = err;
          await delay(25);
        }
      }
      if (lastError) throw lastError;
    }
  }
}

/** CFS quota for a limit in millicores (1000m = one full period); the kernel's minimum is 1 ms. */
export function quotaUs(millis: number): number {
  return Math.max(1000, Math.round((millis * CFS_PERIOD_US) / 1000));
}

/** cpu.shares for a request in millicores (1024 per core; the kernel's minimum is 2). */
export function cpuShares(millis: number): number {
  return Math.max(2, Math.floor((millis * 1024) / 1000));
}

/** cgroup v2 cpu.weight [1, 10000] from v1 shares [2, 262144], a linear map (rounded down). */
export function sharesToWeight(shares: number): number {
  return 1 + Math.floor(((shares - 2) * 9999) / 262142);
}
