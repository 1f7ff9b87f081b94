// ResourceQuotas: NAME REQUEST LIMIT AGE. Each hard resource, sorted by name, reads
// `name: used/hard`; `limits.*` resources go to LIMIT, everything else to REQUEST.

import type { ResourceQuota } from 'kubernetes-types/core/v1.js';
import { quantity, since } from './format.js';
import { AGE_COLUMN, col, definePrinter, NAME_COLUMN } from './printer.js';

export const resourceQuotaPrinter = definePrinter<ResourceQuota>({
  columns: [
    NAME_COLUMN,
    col('Request', 'string', 'Request represents a minimum amount of cpu/memory that a container may consume.'),
    col('Limit', 'string', 'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.'),
    AGE_COLUMN,
  ],
  cells(rq, { now }) {
    const hard = rq.status?.hard ?? {};
    const used = rq.status?.used ?? {};
    const requests: string[] = [];
    const limits: string[] = [];
    for (const name of Object.keys(hard).sort()) {
      const pieces = name.split('.');
      const into = pieces.length > 1 && pieces[0] === 'limits' ? limits : requests;
      into.push(`${name}: ${quantity(used[name])}/${quantity(hard[name])}`);
    }
    return [rq.metadata?.name ?? '', requests.join(', '), limits.join(', '), since(rq.metadata?.creationTimestamp, now)];
  },
});
