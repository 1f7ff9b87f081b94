// Namespaces: NAME STATUS AGE. STATUS is the phase (`Active`, `Terminating`).

import type { Namespace } from 'kubernetes-types/core/v1.js';
import { since } from './format.js';
import { AGE_COLUMN, col, definePrinter, NAME_COLUMN } from './printer.js';

export const namespacePrinter = definePrinter<Namespace>({
  columns: [NAME_COLUMN, col('Status', 'string', 'The status of the namespace'), AGE_COLUMN],
  cells: (ns, { now }) => [ns.metadata?.name ?? '', ns.status?.phase ?? '', since(ns.metadata?.creationTimestamp, now)],
});
