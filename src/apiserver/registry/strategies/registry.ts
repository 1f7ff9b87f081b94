// The one list of resource strategies. A resource with nothing special gets the generic
// strategy (no hooks). Adding a resource: write its strategy file, add one line to STRATEGIES.
//
// Also here: the name format of each resource's metadata.name, which upstream keeps beside the
// validation functions and the generic store takes as `nameValidator`.

import { nameIsDns1035Label, nameIsDnsLabel, nameIsDnsSubdomain, nameIsPathSegment, type NameValidator } from '../../../api/validation.js';
import type { ResourceInfo } from '../../../api/resources.js';
import type { Strategy } from '../strategy.js';
import { configMapStrategy } from './configmaps.js';
import { daemonSetStrategy } from './daemonsets.js';
import { deploymentStrategy } from './deployments.js';
import { endpointsStrategy } from './endpoints.js';
import { endpointSliceStrategy } from './endpointslices.js';
import { eventStrategy, eventsV1Strategy } from './events.js';
import { cronJobStrategy, jobStrategy } from './jobs.js';
import { leaseStrategy } from './leases.js';
import { limitRangeStrategy, persistentVolumeClaimStrategy, priorityClassStrategy, resourceQuotaStrategy } from './misc.js';
import { namespaceStrategy } from './namespaces.js';
import { nodeStrategy } from './nodes.js';
import { podStrategy } from './pods.js';
import { replicaSetStrategy } from './replicasets.js';
import { podTemplateStrategy, replicationControllerStrategy } from './replicationcontrollers.js';
import { secretStrategy } from './secrets.js';
import { serviceStrategy } from './services.js';
import { statefulSetStrategy } from './statefulsets.js';

export const STRATEGIES: readonly Strategy[] = [
  podStrategy,
  namespaceStrategy,
  serviceStrategy,
  configMapStrategy,
  secretStrategy,
  eventStrategy,
  eventsV1Strategy,
  nodeStrategy,
  endpointsStrategy,
  endpointSliceStrategy,
  leaseStrategy,
  deploymentStrategy,
  replicaSetStrategy,
  statefulSetStrategy,
  daemonSetStrategy,
  replicationControllerStrategy,
  podTemplateStrategy,
  jobStrategy,
  cronJobStrategy,
  priorityClassStrategy,
  persistentVolumeClaimStrategy,
  resourceQuotaStrategy,
  limitRangeStrategy,
];

function keyOf(r: { group: string; version: string; plural: string }): string {
  return `${r.group}/${r.version}/${r.plural}`;
}

const byKey = new Map<string, Strategy>(STRATEGIES.map((s) => [keyOf(s.resource), s]));
const generic = new Map<string, Strategy>();

/**
 * The strategy of a resource: a registered one, or a generic strategy with no hooks. Resources
 * with a status subresource keep their status on main updates even then.
 */
export function strategyFor(resource: ResourceInfo): Strategy {
  const key = keyOf(resource);
  const s = byKey.get(key) ?? generic.get(key);
  if (s !== undefined) return s;
  const g: Strategy = { resource, hasStatus: resource.subresources.some((x) => x.name === 'status') };
  generic.set(key, g);
  return g;
}

// Resources whose names are not DNS subdomains (upstream's ValidateXName choices).
const NAME_VALIDATORS = new Map<string, NameValidator>([
  ['/v1/namespaces', nameIsDnsLabel],
  ['/v1/services', nameIsDns1035Label],
  ['rbac.authorization.k8s.io/v1/roles', nameIsPathSegment],
  ['rbac.authorization.k8s.io/v1/rolebindings', nameIsPathSegment],
  ['rbac.authorization.k8s.io/v1/clusterroles', nameIsPathSegment],
  ['rbac.authorization.k8s.io/v1/clusterrolebindings', nameIsPathSegment],
]);

/** The metadata.name format of a resource, for the generic store's ObjectMeta validation. */
export function nameValidatorFor(resource: ResourceInfo): NameValidator {
  return NAME_VALIDATORS.get(keyOf(resource)) ?? nameIsDnsSubdomain;
}
