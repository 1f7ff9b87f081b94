// What the process runtime has made on the host, written to `<rootDir>/state.json` as it goes, so
// that a runtime started after a crash of the previous one (same node, same rootDir) can find and
// remove the leftovers: processes (pid + start time, so a reused pid is never killed), cgroups,
// network namespaces and veths, the bridge.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Serial } from './serial.js';

export interface ContainerTrace {
  pid: number;
  /** /proc/<pid>/stat start time (clock ticks since boot). */
  startTime?: string;
  cgroupDirs: string[];
}

export interface SandboxTrace {
  netns?: string;
  hostVeth?: string;
  ip?: string;
}

export interface RuntimeState {
  nodeName: string;
  containers: Record<string, ContainerTrace>;
  sandboxes: Record<string, SandboxTrace>;
  /** Set when this runtime created the node's bridge. */
  bridge?: string;
}

export class StateStore {
  private readonly serial = new Serial();
  private state: RuntimeState;

  constructor(
    private readonly file: string,
    nodeName: string,
  ) {
    this.state = { nodeName, containers: {}, sandboxes: {} };
  }

  /** The state left by a previous run (empty when there is none or it cannot be read). */
  async previous(): Promise<RuntimeState | undefined> {
    try {
      const parsed: unknown = JSON.parse(await readFile(this.file, 'utf8'));
      return isState(parsed) ? parsed : undefined;
    } catch {
      return undefined;
    }
  }

  /** Applies a change and writes the file (one write at a time, atomically). */
  update(change: (s: RuntimeState) => void): Promise<void> {
    change(this.state);
    return this.serial.run(async () => {
      await mkdir(dirname(this.file), { recursive: true });
      const tmp = `${this.file}.tmp`;
      await writeFile(tmp, JSON.stringify(this.state));
      await rename(tmp, this.file);
    });
  }
}

function isState(v: unknown): v is RuntimeState {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return typeof o.nodeName === 'string' && typeof o.containers === 'object' && o.containers !== null && typeof o.sandboxes === 'object' && o.sandboxes !== null;
}
