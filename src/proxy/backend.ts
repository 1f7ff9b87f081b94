// The seam between the proxy's watch loop (proxy.ts) and what programs the machine: nftables
// rules (nftables.ts) or userspace listeners (userspace.ts). The loop turns Services and
// EndpointSlices into ServicePortInfo values and hands them over, all at once or as changes.
import type { ServicePortInfo } from './service_ports.js';

export type ProxyMode = 'nftables' | 'userspace';

export interface ProxyBackend {
  readonly mode: ProxyMode;
  /** Programs the whole desired state (the first sync, and after a failure or a lost table). */
  syncAll(ports: readonly ServicePortInfo[]): Promise<void>;
  /** Programs changes: port key → its new state, or undefined when the port is gone. */
  syncChanges(changes: ReadonlyMap<string, ServicePortInfo | undefined>): Promise<void>;
  /** Removes what it programmed and gives back what it holds. */
  close(): Promise<void>;
}
