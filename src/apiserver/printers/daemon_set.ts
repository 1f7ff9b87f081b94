// DaemonSets: NAME DESIRED CURRENT READY UP-TO-DATE AVAILABLE NODE SELECTOR AGE, wide
// CONTAINERS IMAGES SELECTOR.

import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import { containerCells, formatLabelMap, formatLabelSelector, since } from './format.js';
import { AGE_COLUMN, APPS, col, CONTAINERS_COLUMN, CORE, definePrinter, doc, IMAGES_COLUMN, NAME_COLUMN } from './printer.js';

const STATUS = APPS + 'DaemonSetStatus';

export const daemonSetPrinter = definePrinter<DaemonSet>({
  columns: [
    NAME_COLUMN,
    col('Desired', 'integer', doc(STATUS, 'desiredNumberScheduled')),
    col('Current', 'integer', doc(STATUS, 'currentNumberScheduled')),
    col('Ready', 'integer', doc(STATUS, 'numberReady')),
    col('Up-to-date', 'integer', doc(STATUS, 'updatedNumberScheduled')),
    col('Available', 'integer', doc(STATUS, 'numberAvailable')),
    col('Node Selector', 'string', doc(CORE + 'PodSpec', 'nodeSelector')),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    col('Selector', 'string', doc(APPS + 'DaemonSetSpec', 'selector'), 1),
  ],
  cells(ds, { now }) {
    const s = ds.status;
    const [names, images] = containerCells(ds.spec?.template?.spec?.containers);
    return [
      ds.metadata?.name ?? '',
      s?.desiredNumberScheduled ?? 0,
      s?.currentNumberScheduled ?? 0,
      s?.numberReady ?? 0,
      s?.updatedNumberScheduled ?? 0,
      s?.numberAvailable ?? 0,
      formatLabelMap(ds.spec?.template?.spec?.nodeSelector),
      since(ds.metadata?.creationTimestamp, now),
      names,
      images,
      formatLabelSelector(ds.spec?.selector),
    ];
  },
});
