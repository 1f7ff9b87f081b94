// Small helpers for talking to the host: signalling process groups and reading /proc; finding and
// running tools comes from src/host/command.ts (shared with the proxy).
import { readFile, readdir, readlink } from 'node:fs/promises';

export { CommandError, findTool, run, signalNumber, type RunResult } from '../../../host/command.js';

/** Signals a process group; false when it is gone. */
export function killGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

export function killPid(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Fields of /proc/<pid>/stat after the command name (which may hold spaces); index 0 = state. */
async function statFields(pid: number): Promise<string[] | undefined> {
  try {
    const text = await readFile(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).trim().split(' ');
  } catch {
    return undefined;
  }
}

/**
 * The start time of a process (clock ticks since boot), to tell a recorded pid from a new process
 * that reused the number.
 */
export async function processStartTime(pid: number): Promise<string | undefined> {
  return (await statFields(pid))?.[19];
}

// Linux reports CPU times in USER_HZ ticks, 100 per second on every architecture Node runs on.
const NS_PER_TICK = 10_000_000;

/** CPU time and resident memory of the processes in a process group, from /proc. */
export async function groupUsage(pgid: number): Promise<{ cpuNanos: number; rssBytes: number } | undefined> {
  let names: string[];
  try {
    names = await readdir('/proc');
  } catch {
    return undefined;
  }
  let cpuNanos = 0;
  let rssBytes = 0;
  let found = false;
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const f = await statFields(Number(name));
    // After the name: state(0) ppid(1) pgrp(2) ... utime(11) stime(12)
    if (!f || Number(f[2]) !== pgid) continue;
    found = true;
    cpuNanos += (Number(f[11]) + Number(f[12])) * NS_PER_TICK;
    try {
      const status = await readFile(`/proc/${name}/status`, 'utf8');
      const m = /^VmRSS:\s+(\d+) kB/m.exec(status);
      if (m) rssBytes += Number(m[1]) * 1024;
    } catch {
      // exited meanwhile
    }
  }
  return found ? { cpuNanos, rssBytes } : undefined;
}

/** The terminal a process's child has as stdin (the pty `script` made), for resizing. */
export async function childTerminal(pid: number): Promise<string | undefined> {
  try {
    const children = (await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8')).trim().split(/\s+/).filter(Boolean);
    for (const c of children) {
      const tty = await readlink(`/proc/${c}/fd/0`).catch(() => '');
      if (tty.startsWith('/dev/pts/')) return tty;
    }
  } catch {
    // gone
  }
  return undefined;
}

/** Quotes a word for sh. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A short wait inside work that is under way (kept ref'd so that work can finish). */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
