// Leases (coordination.k8s.io/v1): durations and transition counts are positive or non-negative,
// and the strategy fields name known strategies, as Kubernetes 1.32 validates them.

import type { LeaseSpec } from 'kubernetes-types/coordination/v1.js';
import { type FieldError, field, fieldPath } from '../../../api/errors.js';
import { IS_NEGATIVE_ERROR_MSG } from '../../../api/validation.js';
import type { KubeObject, Strategy } from '../strategy.js';
import { objectOr, resourceOf, specOf } from './util.js';

function validateLease(obj: KubeObject): FieldError[] {
  const spec = objectOr<LeaseSpec>(specOf(obj), {});
  const sp = fieldPath('spec');
  const errs: FieldError[] = [];
  const d = spec.leaseDurationSeconds;
  if (d !== undefined && d !== null && d <= 0) errs.push(field.invalid(sp.child('leaseDurationSeconds'), d, 'must be greater than 0'));
  const t = spec.leaseTransitions;
  if (t !== undefined && t !== null && t < 0) errs.push(field.invalid(sp.child('leaseTransitions'), t, IS_NEGATIVE_ERROR_MSG));
  // spec.strategy (1.32 alpha, CoordinatedLeaderElection) names one known strategy when set.
  const strategy = new Map(Object.entries(spec)).get('strategy');
  if (typeof strategy === 'string' && strategy !== '' && strategy !== 'OldestEmulationVersion') {
    errs.push(field.notSupported(sp.child('strategy'), strategy, ['OldestEmulationVersion']));
  }
  return errs;
}

export const leaseStrategy: Strategy = {
  resource: resourceOf('coordination.k8s.io', 'v1', 'leases'),
  allowCreateOnUpdate: false,
  validate: (obj) => validateLease(obj),
  validateUpdate: (obj) => validateLease(obj),
};
