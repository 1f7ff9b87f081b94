// HorizontalPodAutoscalers (autoscaling/v2 and v1): NAME REFERENCE TARGETS MINPODS MAXPODS
// REPLICAS AGE.
//
// TARGETS shows the first two metrics as `current/target` (`cpu: 45%/80%`, `500m/1 (avg)`),
// `<unknown>` for a current value the controller has not reported yet, then `+ N more...`; a
// status entry is matched to its spec entry by position, as upstream does. autoscaling/v1
// objects are read as the single CPU utilization metric they express.

import type { HorizontalPodAutoscaler as HpaV1 } from 'kubernetes-types/autoscaling/v1.js';
import type { HorizontalPodAutoscaler as HpaV2, MetricSpec, MetricStatus } from 'kubernetes-types/autoscaling/v2.js';
import { NONE, quantity, since, UNKNOWN, UNSET } from './format.js';
import { AGE_COLUMN, col, definePrinter, doc, NAME_COLUMN } from './printer.js';

type AnyHpa = HpaV2 & { spec?: HpaV1['spec'] & HpaV2['spec']; status?: HpaV1['status'] & HpaV2['status'] };

/** A quantity pointer as Go prints it: `<nil>` when unset. */
function q(value: string | undefined): string {
  return value === undefined ? '<nil>' : quantity(value);
}

function metricsOf(hpa: AnyHpa): { specs: MetricSpec[]; statuses: MetricStatus[] } {
  const spec = hpa.spec;
  if (spec?.metrics !== undefined || spec?.targetCPUUtilizationPercentage === undefined) {
    return { specs: spec?.metrics ?? [], statuses: hpa.status?.currentMetrics ?? [] };
  }
  // autoscaling/v1: one CPU utilization target, one optional current utilization.
  const current = hpa.status?.currentCPUUtilizationPercentage;
  return {
    specs: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: spec.targetCPUUtilizationPercentage } } }],
    statuses: current === undefined ? [] : [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: current } } }],
  };
}

function describeMetric(spec: MetricSpec, status: MetricStatus | undefined): string {
  switch (spec.type) {
    case 'External': {
      const target = spec.external?.target;
      const current = status?.external?.current;
      if (target?.averageValue !== undefined) {
        return `${current?.averageValue !== undefined ? q(current.averageValue) : UNKNOWN}/${q(target.averageValue)} (avg)`;
      }
      return `${status?.external ? q(current?.value) : UNKNOWN}/${q(target?.value)}`;
    }
    case 'Pods':
      return `${status?.pods ? q(status.pods.current?.averageValue) : UNKNOWN}/${q(spec.pods?.target?.averageValue)}`;
    case 'Object': {
      const target = spec.object?.target;
      const current = status?.object?.current;
      if (target?.averageValue !== undefined) {
        return `${current?.averageValue !== undefined ? q(current.averageValue) : UNKNOWN}/${q(target.averageValue)} (avg)`;
      }
      return `${status?.object ? q(current?.value) : UNKNOWN}/${q(target?.value)}`;
    }
    case 'Resource':
    case 'ContainerResource': {
      const source = spec.type === 'Resource' ? spec.resource : spec.containerResource;
      const observed = spec.type === 'Resource' ? status?.resource : status?.containerResource;
      const name = source?.name ?? '';
      const target = source?.target;
      if (target?.averageValue !== undefined) {
        return `${name}: ${observed ? q(observed.current?.averageValue) : UNKNOWN}/${q(target.averageValue)}`;
      }
      const utilization = observed?.current?.averageUtilization;
      const current = utilization !== undefined ? `${utilization}%` : UNKNOWN;
      const wanted = target?.averageUtilization !== undefined ? `${target.averageUtilization}%` : '<auto>';
      return `${name}: ${current}/${wanted}`;
    }
    default:
      return '<unknown type>';
  }
}

function targets(hpa: AnyHpa): string {
  const { specs, statuses } = metricsOf(hpa);
  if (specs.length === 0) return NONE;
  const MAX = 2;
  const shown = specs.slice(0, MAX).map((s, i) => describeMetric(s, statuses[i]));
  return specs.length > MAX ? `${shown.join(', ')} + ${specs.length - MAX} more...` : shown.join(', ');
}

const SPEC = 'io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerSpec';

export const horizontalPodAutoscalerPrinter = definePrinter<AnyHpa>({
  columns: [
    NAME_COLUMN,
    col('Reference', 'string', doc(SPEC, 'scaleTargetRef')),
    col('Targets', 'string', doc(SPEC, 'metrics')),
    col('MinPods', 'string', doc(SPEC, 'minReplicas')),
    col('MaxPods', 'string', doc(SPEC, 'maxReplicas')),
    col('Replicas', 'string', doc('io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerStatus', 'currentReplicas')),
    AGE_COLUMN,
  ],
  cells: (hpa, { now }) => [
    hpa.metadata?.name ?? '',
    `${hpa.spec?.scaleTargetRef?.kind ?? ''}/${hpa.spec?.scaleTargetRef?.name ?? ''}`,
    targets(hpa),
    hpa.spec?.minReplicas !== undefined ? String(hpa.spec.minReplicas) : UNSET,
    hpa.spec?.maxReplicas ?? 0,
    hpa.status?.currentReplicas ?? 0,
    since(hpa.metadata?.creationTimestamp, now),
  ],
});
