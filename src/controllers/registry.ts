// The one list of controllers the controller manager can run, by their upstream names.
// Adding a controller is one file (its folder) and one line here.
import type { ControllerFactory } from './controller.js';
import { garbageCollectorController } from './garbagecollector/controller.js';
import { namespaceController } from './namespace/controller.js';
import { serviceAccountController } from './serviceaccount/controller.js';
import { nodeLifecycleController } from './nodelifecycle/controller.js';
import { endpointsController } from './endpoints/controller.js';
import { endpointSliceController } from './endpointslice/controller.js';
import { endpointSliceMirroringController } from './endpointslice/mirroring.js';
import { replicaSetController, replicationControllerController } from './replicaset/controller.js';
import { deploymentController } from './deployment/controller.js';
import { serviceLbController } from './servicelb/controller.js';
import { nodeIpamController } from './nodeipam/controller.js';

export const CONTROLLERS: Readonly<Record<string, ControllerFactory>> = {
  replicaset: () => replicaSetController(),
  replicationcontroller: () => replicationControllerController(),
  deployment: () => deploymentController(),
  garbagecollector: garbageCollectorController,
  namespace: namespaceController,
  serviceaccount: serviceAccountController,
  nodelifecycle: nodeLifecycleController,
  nodeipam: nodeIpamController,
  endpoint: endpointsController,
  endpointslice: endpointSliceController,
  endpointslicemirroring: endpointSliceMirroringController,
  servicelb: serviceLbController,
};

/**
 * Resolves a `--controllers` value as upstream does: a comma-separated list where `*` means every
 * controller, `name` enables one and `-name` disables one. Unknown names are an error.
 */
export function selectControllers(flag: string, known: Readonly<Record<string, ControllerFactory>> = CONTROLLERS): string[] {
  const names = Object.keys(known);
  const enabled = new Set<string>();
  const disabled = new Set<string>();
  let star = false;
  for (const raw of flag.split(',').map((s) => s.trim()).filter(Boolean)) {
    if (raw === '*') star = true;
    else if (raw.startsWith('-')) disabled.add(check(raw.slice(1), names));
    else enabled.add(check(raw, names));
  }
  return names.filter((n) => !disabled.has(n) && (star || enabled.has(n)));
}

function check(name: string, names: string[]): string {
  if (!names.includes(name)) throw new Error(`--controllers: unknown controller "${name}" (known: ${names.join(', ')})`);
  return name;
}
