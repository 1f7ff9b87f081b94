// StatefulSets: NAME READY AGE, wide CONTAINERS IMAGES. READY is `ready/desired`.

import type { StatefulSet } from 'kubernetes-types/apps/v1.js';
import { containerCells, since } from './format.js';
import { AGE_COLUMN, col, CONTAINERS_COLUMN, definePrinter, IMAGES_COLUMN, NAME_COLUMN } from './printer.js';

export const statefulSetPrinter = definePrinter<StatefulSet>({
  columns: [NAME_COLUMN, col('Ready', 'string', 'Number of the pod with ready state'), AGE_COLUMN, CONTAINERS_COLUMN, IMAGES_COLUMN],
  cells(sts, { now }) {
    const [names, images] = containerCells(sts.spec?.template?.spec?.containers);
    return [
      sts.metadata?.name ?? '',
      `${sts.status?.readyReplicas ?? 0}/${sts.spec?.replicas ?? 1}`, // replicas defaulted on decode
      since(sts.metadata?.creationTimestamp, now),
      names,
      images,
    ];
  },
});
