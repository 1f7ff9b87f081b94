// ControllerRevisions: NAME CONTROLLER REVISION AGE. CONTROLLER is the controlling owner as
// `kind.group/name` in lower case (`statefulset.apps/web`), `<none>` without one.

import type { ControllerRevision } from 'kubernetes-types/apps/v1.js';
import { NONE, since } from './format.js';
import { AGE_COLUMN, APPS, col, definePrinter, doc, NAME_COLUMN } from './printer.js';

function controller(cr: ControllerRevision): string {
  const ref = (cr.metadata?.ownerReferences ?? []).find((o) => o.controller === true);
  if (!ref) return NONE;
  const slash = ref.apiVersion.indexOf('/');
  const group = slash < 0 ? '' : ref.apiVersion.slice(0, slash);
  const groupKind = group === '' ? ref.kind : `${ref.kind}.${group}`;
  return groupKind === '' ? ref.name : `${groupKind.toLowerCase()}/${ref.name}`;
}

export const controllerRevisionPrinter = definePrinter<ControllerRevision>({
  columns: [
    NAME_COLUMN,
    col('Controller', 'string', 'Controller of the object'),
    col('Revision', 'string', doc(APPS + 'ControllerRevision', 'revision')),
    AGE_COLUMN,
  ],
  cells: (cr, { now }) => [cr.metadata?.name ?? '', controller(cr), cr.revision ?? 0, since(cr.metadata?.creationTimestamp, now)],
});
