// TEMPORARY (lead): generic strategies for every resource until the strategies helper lands its registry.
import type { ResourceInfo } from '../../../api/resources.js';
import type { Strategy } from '../strategy.js';

export const STRATEGIES: readonly Strategy[] = [];

export function strategyFor(resource: ResourceInfo): Strategy {
  return STRATEGIES.find((s) => s.resource === resource) ?? { resource };
}
