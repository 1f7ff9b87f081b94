// Events (core/v1 and events.k8s.io/v1): LAST SEEN TYPE REASON OBJECT MESSAGE, wide SUBOBJECT
// SOURCE FIRST SEEN COUNT NAME. NAME is last and wide-only, unlike every other table.
//
// events.k8s.io/v1 renames the fields (regarding, note, deprecated*); both shapes are read through
// one view so the two resources print the same, as they do upstream where both convert to one
// internal type. LAST SEEN falls back to FIRST SEEN, which falls back to eventTime; a series
// overrides both the last-seen time and the count.

import type { Event as CoreEvent } from 'kubernetes-types/core/v1.js';
import type { Event as EventsEvent } from 'kubernetes-types/events/v1.js';
import { parseTime, since, UNKNOWN } from './format.js';
import { col, CORE, definePrinter, doc, NAME_COLUMN } from './printer.js';

interface EventView {
  name: string;
  type: string;
  reason: string;
  message: string;
  kind: string;
  objectName: string;
  fieldPath: string;
  component: string;
  host: string;
  firstTimestamp?: string;
  lastTimestamp?: string;
  eventTime?: string;
  count: number;
  series?: { count?: number; lastObservedTime?: string };
}

function view(e: CoreEvent & EventsEvent): EventView {
  const involved = e.involvedObject ?? e.regarding;
  const source = e.source ?? e.deprecatedSource;
  return {
    name: e.metadata?.name ?? '',
    type: e.type ?? '',
    reason: e.reason ?? '',
    message: e.message ?? e.note ?? '',
    kind: involved?.kind ?? '',
    objectName: involved?.name ?? '',
    fieldPath: involved?.fieldPath ?? '',
    component: source?.component || e.reportingController || '',
    host: source?.host || e.reportingInstance || '',
    firstTimestamp: e.firstTimestamp ?? e.deprecatedFirstTimestamp,
    lastTimestamp: e.lastTimestamp ?? e.deprecatedLastTimestamp,
    eventTime: e.eventTime,
    count: e.count ?? e.deprecatedCount ?? 0,
    series: e.series,
  };
}

export const eventPrinter = definePrinter<CoreEvent & EventsEvent>({
  columns: [
    col('Last Seen', 'string', doc(CORE + 'Event', 'lastTimestamp')),
    col('Type', 'string', doc(CORE + 'Event', 'type')),
    col('Reason', 'string', doc(CORE + 'Event', 'reason')),
    col('Object', 'string', doc(CORE + 'Event', 'involvedObject')),
    col('Subobject', 'string', doc(CORE + 'ObjectReference', 'fieldPath'), 1),
    col('Source', 'string', doc(CORE + 'Event', 'source'), 1),
    col('Message', 'string', doc(CORE + 'Event', 'message')),
    col('First Seen', 'string', doc(CORE + 'Event', 'firstTimestamp'), 1),
    col('Count', 'string', doc(CORE + 'Event', 'count'), 1),
    { ...NAME_COLUMN, priority: 1 },
  ],
  cells(raw, { now }) {
    const e = view(raw);
    const first = parseTime(e.firstTimestamp) !== undefined ? since(e.firstTimestamp, now) : since(e.eventTime, now);
    let last = parseTime(e.lastTimestamp) !== undefined ? since(e.lastTimestamp, now) : first;
    let count = e.count;
    if (e.series) {
      last = e.series.lastObservedTime ? since(e.series.lastObservedTime, now) : UNKNOWN;
      count = e.series.count ?? 0;
    } else if (count === 0) {
      count = 1; // a singleton event of the new API carries no count
    }
    const target = e.objectName ? `${e.kind.toLowerCase()}/${e.objectName}` : e.kind.toLowerCase();
    const source = e.host ? `${e.component}, ${e.host}` : e.component;
    return [last, e.type, e.reason, target, e.fieldPath, source, e.message.trim(), first, count, e.name];
  },
});
