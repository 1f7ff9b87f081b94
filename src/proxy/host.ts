// Small helpers for the proxy's dealings with the host: finding and running tools (`nft`, `ip`)
// with their words kept for errors, whether we are root, and this machine's own addresses.
// (Finding and running tools is src/host/command.ts, shared with the process runtime.)
import { networkInterfaces } from 'node:os';
import { cidrContains } from './service_ports.js';

export { CommandError, findTool, isRoot, run, type RunResult } from '../host/command.js';

/** This machine's IPv4 addresses (every interface, loopback included). */
export function localIPv4Addresses(): Set<string> {
  const out = new Set<string>();
  for (const addrs of Object.values(networkInterfaces())) for (const a of addrs ?? []) if (a.family === 'IPv4') out.add(a.address);
  return out;
}

/** Whether `ip` is an address of this machine; all of 127.0.0.0/8 is (Linux routes it to lo). */
export function isLocalAddress(ip: string, local: Set<string> = localIPv4Addresses()): boolean {
  return cidrContains('127.0.0.0/8', ip) || local.has(ip);
}
