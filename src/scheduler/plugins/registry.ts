// The one list of scheduler plugins: adding a plugin is one file and one line here.

import type { PluginFactory } from '../framework/interfaces.js';
import * as defaultBinder from './default_binder.js';
import * as defaultPreemption from './default_preemption.js';
import * as imageLocality from './image_locality.js';
import * as interPodAffinity from './inter_pod_affinity.js';
import * as nodeAffinity from './node_affinity.js';
import * as nodeName from './node_name.js';
import * as nodePorts from './node_ports.js';
import * as nodeResourcesBalancedAllocation from './node_resources_balanced_allocation.js';
import * as nodeResourcesFit from './node_resources_fit.js';
import * as nodeUnschedulable from './node_unschedulable.js';
import * as podTopologySpread from './pod_topology_spread.js';
import * as prioritySort from './priority_sort.js';
import * as schedulingGates from './scheduling_gates.js';
import * as taintToleration from './taint_toleration.js';

export const registry: Readonly<Record<string, PluginFactory>> = Object.freeze({
  [schedulingGates.NAME]: schedulingGates.factory,
  [prioritySort.NAME]: prioritySort.factory,
  [nodeUnschedulable.NAME]: nodeUnschedulable.factory,
  [nodeName.NAME]: nodeName.factory,
  [taintToleration.NAME]: taintToleration.factory,
  [nodeAffinity.NAME]: nodeAffinity.factory,
  [nodePorts.NAME]: nodePorts.factory,
  [nodeResourcesFit.NAME]: nodeResourcesFit.factory,
  [podTopologySpread.NAME]: podTopologySpread.factory,
  [interPodAffinity.NAME]: interPodAffinity.factory,
  [defaultPreemption.NAME]: defaultPreemption.factory,
  [nodeResourcesBalancedAllocation.NAME]: nodeResourcesBalancedAllocation.factory,
  [imageLocality.NAME]: imageLocality.factory,
  [defaultBinder.NAME]: defaultBinder.factory,
});
