// Deployments: NAME READY UP-TO-DATE AVAILABLE AGE, wide CONTAINERS IMAGES SELECTOR.
// READY is `ready/desired`.

import type { Deployment } from 'kubernetes-types/apps/v1.js';
import { containerCells, selectorString, since } from './format.js';
import { AGE_COLUMN, APPS, col, CONTAINERS_COLUMN, definePrinter, doc, IMAGES_COLUMN, NAME_COLUMN } from './printer.js';

export const deploymentPrinter = definePrinter<Deployment>({
  columns: [
    NAME_COLUMN,
    col('Ready', 'string', 'Number of the pod with ready state'),
    col('Up-to-date', 'string', doc(APPS + 'DeploymentStatus', 'updatedReplicas')),
    col('Available', 'string', doc(APPS + 'DeploymentStatus', 'availableReplicas')),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    col('Selector', 'string', doc(APPS + 'DeploymentSpec', 'selector'), 1),
  ],
  cells(d, { now }) {
    const [names, images] = containerCells(d.spec?.template?.spec?.containers);
    return [
      d.metadata?.name ?? '',
      // spec.replicas defaults to 1 when the object is decoded, so a missing value means 1.
      `${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 1}`,
      d.status?.updatedReplicas ?? 0,
      d.status?.availableReplicas ?? 0,
      since(d.metadata?.creationTimestamp, now),
      names,
      images,
      selectorString(d.spec?.selector),
    ];
  },
});
