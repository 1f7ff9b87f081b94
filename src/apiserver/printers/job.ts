// Jobs: NAME STATUS COMPLETIONS DURATION AGE, wide CONTAINERS IMAGES SELECTOR.
//
// STATUS is the first that applies of Complete, Failed, Terminating, Suspended, FailureTarget,
// else Running. COMPLETIONS reads `succeeded/completions`, or for a work-queue job (no
// completions) `succeeded/1`, `succeeded/1 of <parallelism>` when parallel. DURATION runs from
// startTime to completionTime (or now), empty before the job started.

import type { Job, JobCondition } from 'kubernetes-types/batch/v1.js';
import { containerCells, formatLabelSelector, humanDuration, parseTime, since } from './format.js';
import { AGE_COLUMN, BATCH, col, CONTAINERS_COLUMN, definePrinter, doc, IMAGES_COLUMN, NAME_COLUMN } from './printer.js';

/** Whether the first condition of this type is True (later duplicates are ignored). */
function hasCondition(conditions: readonly JobCondition[] | undefined, type: string): boolean {
  return (conditions ?? []).find((c) => c.type === type)?.status === 'True';
}

function status(job: Job): string {
  const conditions = job.status?.conditions;
  if (hasCondition(conditions, 'Complete')) return 'Complete';
  if (hasCondition(conditions, 'Failed')) return 'Failed';
  if (job.metadata?.deletionTimestamp) return 'Terminating';
  if (hasCondition(conditions, 'Suspended')) return 'Suspended';
  if (hasCondition(conditions, 'FailureTarget')) return 'FailureTarget';
  return 'Running';
}

function completions(job: Job): string {
  const succeeded = job.status?.succeeded ?? 0;
  const want = job.spec?.completions;
  if (want !== undefined && want !== null) return `${succeeded}/${want}`;
  const parallelism = job.spec?.parallelism ?? 0;
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

function duration(job: Job, now: Date): string {
  const start = parseTime(job.status?.startTime);
  if (start === undefined) return '';
  const end = parseTime(job.status?.completionTime);
  return humanDuration((end ?? now.getTime()) - start);
}

export const jobPrinter = definePrinter<Job>({
  columns: [
    NAME_COLUMN,
    col('Status', 'string', 'Status of the job.'),
    col('Completions', 'string', doc(BATCH + 'JobStatus', 'succeeded')),
    col('Duration', 'string', 'Time required to complete the job.'),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    col('Selector', 'string', doc(BATCH + 'JobSpec', 'selector'), 1),
  ],
  cells(job, { now }) {
    const [names, images] = containerCells(job.spec?.template?.spec?.containers);
    return [
      job.metadata?.name ?? '',
      status(job),
      completions(job),
      duration(job, now),
      since(job.metadata?.creationTimestamp, now),
      names,
      images,
      formatLabelSelector(job.spec?.selector),
    ];
  },
});
