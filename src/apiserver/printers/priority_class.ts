// PriorityClasses: NAME VALUE GLOBAL-DEFAULT AGE PREEMPTIONPOLICY (the last one is not wide-only).

import type { PriorityClass } from 'kubernetes-types/scheduling/v1.js';
import { since } from './format.js';
import { AGE_COLUMN, col, definePrinter, doc, NAME_COLUMN } from './printer.js';

const PC = 'io.k8s.api.scheduling.v1.PriorityClass';

export const priorityClassPrinter = definePrinter<PriorityClass>({
  columns: [
    NAME_COLUMN,
    col('Value', 'integer', doc(PC, 'value')),
    col('Global-Default', 'boolean', doc(PC, 'globalDefault')),
    AGE_COLUMN,
    col('PreemptionPolicy', 'string', doc(PC, 'preemptionPolicy')),
  ],
  cells: (pc, { now }) => [
    pc.metadata?.name ?? '',
    pc.value ?? 0,
    pc.globalDefault ?? false,
    since(pc.metadata?.creationTimestamp, now),
    pc.preemptionPolicy ?? '',
  ],
});
