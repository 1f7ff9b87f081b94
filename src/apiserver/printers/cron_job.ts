// CronJobs: NAME SCHEDULE TIMEZONE SUSPEND ACTIVE LAST SCHEDULE AGE, wide CONTAINERS IMAGES
// SELECTOR. TIMEZONE and LAST SCHEDULE read `<none>` when unset; SUSPEND is True/False.

import type { CronJob } from 'kubernetes-types/batch/v1.js';
import { boolPointer, containerCells, formatLabelSelector, NONE, since } from './format.js';
import { AGE_COLUMN, BATCH, col, CONTAINERS_COLUMN, definePrinter, doc, IMAGES_COLUMN, NAME_COLUMN } from './printer.js';

const SPEC = BATCH + 'CronJobSpec';

export const cronJobPrinter = definePrinter<CronJob>({
  columns: [
    NAME_COLUMN,
    col('Schedule', 'string', doc(SPEC, 'schedule')),
    col('Timezone', 'string', doc(SPEC, 'timeZone')),
    col('Suspend', 'boolean', doc(SPEC, 'suspend')),
    col('Active', 'integer', doc(BATCH + 'CronJobStatus', 'active')),
    col('Last Schedule', 'string', doc(BATCH + 'CronJobStatus', 'lastScheduleTime')),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    col('Selector', 'string', doc(BATCH + 'JobSpec', 'selector'), 1),
  ],
  cells(cj, { now }) {
    const jobSpec = cj.spec?.jobTemplate?.spec;
    const [names, images] = containerCells(jobSpec?.template?.spec?.containers);
    const last = cj.status?.lastScheduleTime;
    return [
      cj.metadata?.name ?? '',
      cj.spec?.schedule ?? '',
      cj.spec?.timeZone ?? NONE,
      boolPointer(cj.spec?.suspend),
      (cj.status?.active ?? []).length,
      last ? since(last, now) : NONE,
      since(cj.metadata?.creationTimestamp, now),
      names,
      images,
      formatLabelSelector(jobSpec?.selector),
    ];
  },
});
