// ReplicaSets: NAME DESIRED CURRENT READY AGE, wide CONTAINERS IMAGES SELECTOR.

import type { ReplicaSet } from 'kubernetes-types/apps/v1.js';
import { containerCells, formatLabelSelector, since } from './format.js';
import { AGE_COLUMN, APPS, col, CONTAINERS_COLUMN, definePrinter, doc, IMAGES_COLUMN, NAME_COLUMN } from './printer.js';

export const replicaSetPrinter = definePrinter<ReplicaSet>({
  columns: [
    NAME_COLUMN,
    col('Desired', 'integer', doc(APPS + 'ReplicaSetSpec', 'replicas')),
    col('Current', 'integer', doc(APPS + 'ReplicaSetStatus', 'replicas')),
    col('Ready', 'integer', doc(APPS + 'ReplicaSetStatus', 'readyReplicas')),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    col('Selector', 'string', doc(APPS + 'ReplicaSetSpec', 'selector'), 1),
  ],
  cells(rs, { now }) {
    const [names, images] = containerCells(rs.spec?.template?.spec?.containers);
    return [
      rs.metadata?.name ?? '',
      rs.spec?.replicas ?? 1, // defaulted on decode
      rs.status?.replicas ?? 0,
      rs.status?.readyReplicas ?? 0,
      since(rs.metadata?.creationTimestamp, now),
      names,
      images,
      formatLabelSelector(rs.spec?.selector),
    ];
  },
});
