// The one list of server-side printers, keyed by API group and kind. A kind without an entry
// (Role, ClusterRole, LimitRange, Binding, anything new) gets the default NAME / CREATED AT table,
// which is also what Kubernetes serves for kinds its printers do not know. Adding a printer is one
// file in this folder and one line here.

import type { ResourceInfo } from '../../api/resources.js';
import { configMapPrinter } from './config_map.js';
import { controllerRevisionPrinter } from './controller_revision.js';
import { cronJobPrinter } from './cron_job.js';
import { daemonSetPrinter } from './daemon_set.js';
import { deploymentPrinter } from './deployment.js';
import { endpointSlicePrinter } from './endpoint_slice.js';
import { endpointsPrinter } from './endpoints.js';
import { eventPrinter } from './event.js';
import { horizontalPodAutoscalerPrinter } from './horizontal_pod_autoscaler.js';
import { ingressPrinter } from './ingress.js';
import { ingressClassPrinter } from './ingress_class.js';
import { jobPrinter } from './job.js';
import { leasePrinter } from './lease.js';
import { namespacePrinter } from './namespace.js';
import { networkPolicyPrinter } from './network_policy.js';
import { nodePrinter } from './node.js';
import { persistentVolumePrinter } from './persistent_volume.js';
import { persistentVolumeClaimPrinter } from './persistent_volume_claim.js';
import { podPrinter } from './pod.js';
import { podDisruptionBudgetPrinter } from './pod_disruption_budget.js';
import { podTemplatePrinter } from './pod_template.js';
import type { Printer } from './printer.js';
import { priorityClassPrinter } from './priority_class.js';
import { replicaSetPrinter } from './replica_set.js';
import { replicationControllerPrinter } from './replication_controller.js';
import { resourceQuotaPrinter } from './resource_quota.js';
import { clusterRoleBindingPrinter, roleBindingPrinter } from './role_binding.js';
import { secretPrinter } from './secret.js';
import { serviceAccountPrinter } from './service_account.js';
import { servicePrinter } from './service.js';
import { statefulSetPrinter } from './stateful_set.js';
import { storageClassPrinter } from './storage_class.js';

/** `group/Kind` (core group as the empty string: `/Pod`) → printer. Every version shares it. */
const PRINTERS: ReadonlyMap<string, Printer> = new Map<string, Printer>([
  ['/Pod', podPrinter],
  ['/PodTemplate', podTemplatePrinter],
  ['/Namespace', namespacePrinter],
  ['/Node', nodePrinter],
  ['/Service', servicePrinter],
  ['/Endpoints', endpointsPrinter],
  ['/Event', eventPrinter],
  ['/ConfigMap', configMapPrinter],
  ['/Secret', secretPrinter],
  ['/ServiceAccount', serviceAccountPrinter],
  ['/PersistentVolume', persistentVolumePrinter],
  ['/PersistentVolumeClaim', persistentVolumeClaimPrinter],
  ['/ResourceQuota', resourceQuotaPrinter],
  ['/ReplicationController', replicationControllerPrinter],
  ['apps/Deployment', deploymentPrinter],
  ['apps/ReplicaSet', replicaSetPrinter],
  ['apps/StatefulSet', statefulSetPrinter],
  ['apps/DaemonSet', daemonSetPrinter],
  ['apps/ControllerRevision', controllerRevisionPrinter],
  ['batch/Job', jobPrinter],
  ['batch/CronJob', cronJobPrinter],
  ['coordination.k8s.io/Lease', leasePrinter],
  ['discovery.k8s.io/EndpointSlice', endpointSlicePrinter],
  ['events.k8s.io/Event', eventPrinter],
  ['scheduling.k8s.io/PriorityClass', priorityClassPrinter],
  ['policy/PodDisruptionBudget', podDisruptionBudgetPrinter],
  ['autoscaling/HorizontalPodAutoscaler', horizontalPodAutoscalerPrinter],
  ['storage.k8s.io/StorageClass', storageClassPrinter],
  ['rbac.authorization.k8s.io/RoleBinding', roleBindingPrinter],
  ['rbac.authorization.k8s.io/ClusterRoleBinding', clusterRoleBindingPrinter],
  ['networking.k8s.io/Ingress', ingressPrinter],
  ['networking.k8s.io/IngressClass', ingressClassPrinter],
  ['networking.k8s.io/NetworkPolicy', networkPolicyPrinter],
]);

/** The printer for a resource, or undefined when it prints as the default table. */
export function printerFor(resource: Pick<ResourceInfo, 'group' | 'kind'>): Printer | undefined {
  return PRINTERS.get(`${resource.group}/${resource.kind}`);
}

/** Group/kind keys with a printer, for tests and docs. */
export function printedKinds(): readonly string[] {
  return [...PRINTERS.keys()];
}
