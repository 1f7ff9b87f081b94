// IngressClasses: NAME CONTROLLER PARAMETERS AGE. PARAMETERS reads `Kind.group/name`.

import type { IngressClass } from 'kubernetes-types/networking/v1.js';
import { NONE, since } from './format.js';
import { AGE_COLUMN, col, definePrinter, NAME_COLUMN } from './printer.js';

export const ingressClassPrinter = definePrinter<IngressClass>({
  columns: [
    NAME_COLUMN,
    col('Controller', 'string', 'Controller that is responsible for handling this class'),
    col('Parameters', 'string', 'A reference to a resource with additional parameters'),
    AGE_COLUMN,
  ],
  cells(ic, { now }) {
    const p = ic.spec?.parameters;
    const parameters = p ? `${p.kind}${p.apiGroup !== undefined ? '.' + p.apiGroup : ''}/${p.name}` : NONE;
    return [ic.metadata?.name ?? '', ic.spec?.controller ?? '', parameters, since(ic.metadata?.creationTimestamp, now)];
  },
});
