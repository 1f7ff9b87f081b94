// ReplicationControllers: NAME DESIRED CURRENT READY AGE, wide CONTAINERS IMAGES SELECTOR
// (a plain label map here, not a LabelSelector).

import type { ReplicationController } from 'kubernetes-types/core/v1.js';
import { containerCells, formatLabelMap, since } from './format.js';
import { AGE_COLUMN, col, CONTAINERS_COLUMN, CORE, definePrinter, doc, IMAGES_COLUMN, NAME_COLUMN } from './printer.js';

export const replicationControllerPrinter = definePrinter<ReplicationController>({
  columns: [
    NAME_COLUMN,
    col('Desired', 'integer', doc(CORE + 'ReplicationControllerSpec', 'replicas')),
    col('Current', 'integer', doc(CORE + 'ReplicationControllerStatus', 'replicas')),
    col('Ready', 'integer', doc(CORE + 'ReplicationControllerStatus', 'readyReplicas')),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    col('Selector', 'string', doc(CORE + 'ReplicationControllerSpec', 'selector'), 1),
  ],
  cells(rc, { now }) {
    const [names, images] = containerCells(rc.spec?.template?.spec?.containers);
    return [
      rc.metadata?.name ?? '',
      rc.spec?.replicas ?? 1, // defaulted on decode
      rc.status?.replicas ?? 0,
      rc.status?.readyReplicas ?? 0,
      since(rc.metadata?.creationTimestamp, now),
      names,
      images,
      formatLabelMap(rc.spec?.selector),
    ];
  },
});
