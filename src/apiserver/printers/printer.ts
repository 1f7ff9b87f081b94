// What a per-kind printer is: the columns it declares (name, OpenAPI type, priority: 0 shown by
// `kubectl get`, 1 only with `-o wide`) and a function from one object to that row's cells. The
// server always produces every column, wide ones included, as Kubernetes does; kubectl hides the
// priority-1 columns itself. Column descriptions that Kubernetes takes from the API docs are
// looked up in our generated OpenAPI definitions when the table is first built.

import type { ResourceInfo } from '../../api/resources.js';
import { definitions } from '../../api/openapi_schemas.js';
import type { TableCell, TableColumnDefinition, TableRowCondition } from '../table.js';

/** A JSON value a cell may hold. Counts are numbers, flags booleans, everything else text. */
export type Cell = TableCell;

export type ColumnType = 'string' | 'integer' | 'number' | 'boolean' | 'date';

/** A description taken from the API docs: field `field` of OpenAPI definition `definition`. */
export interface DocRef {
  readonly definition: string;
  readonly field: string;
}

export interface ColumnSpec {
  readonly name: string;
  readonly type: ColumnType;
  readonly format?: 'name';
  readonly priority?: 0 | 1;
  readonly description: string | DocRef;
}

export interface PrintContext {
  /** "Now" for ages and durations; tests pin it. */
  readonly now: Date;
  /** The resource being printed (a printer shared by versions, like HPA's, may look at it). */
  readonly resource: ResourceInfo;
}

export interface Printer {
  readonly columns: readonly ColumnSpec[];
  cells(object: Record<string, unknown>, ctx: PrintContext): Cell[];
  conditions?(object: Record<string, unknown>): TableRowCondition[] | undefined;
}

/**
 * Declares a printer over a kubernetes-types kind. The apiserver hands a printer only objects of
 * its own kind that passed schema validation on the way into the store, which is what makes the
 * single widening below sound; printers still treat every field as optional, as the types do.
 */
export function definePrinter<T>(spec: {
  columns: readonly ColumnSpec[];
  cells(object: T, ctx: PrintContext): Cell[];
  conditions?(object: T): TableRowCondition[] | undefined;
}): Printer {
  const conditions = spec.conditions;
  return {
    columns: spec.columns,
    cells: (o, ctx) => spec.cells(o as T, ctx),
    conditions: conditions ? (o) => conditions(o as T) : undefined,
  };
}

export function doc(definition: string, field: string): DocRef {
  return { definition, field };
}

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';

/** A column; `priority` 1 makes it wide-only. */
export function col(name: string, type: ColumnType, description: string | DocRef, priority: 0 | 1 = 0): ColumnSpec {
  return { name, type, description, priority };
}

/** The NAME column every built-in table starts with; `format: name` lets kubectl prefix kinds. */
export const NAME_COLUMN: ColumnSpec = { name: 'Name', type: 'string', format: 'name', description: doc(META, 'name') };
/** The AGE column: HumanDuration since creation. */
export const AGE_COLUMN: ColumnSpec = col('Age', 'string', doc(META, 'creationTimestamp'));
/** Wide CONTAINERS and IMAGES columns of workload kinds. */
export const CONTAINERS_COLUMN: ColumnSpec = col('Containers', 'string', 'Names of each container in the template.', 1);
export const IMAGES_COLUMN: ColumnSpec = col('Images', 'string', 'Images referenced by each container in the template.', 1);

/** Definition name prefixes, so printers can write `doc(CORE + 'PodSpec', 'nodeName')`. */
export const CORE = 'io.k8s.api.core.v1.';
export const APPS = 'io.k8s.api.apps.v1.';
export const BATCH = 'io.k8s.api.batch.v1.';

function describe(d: string | DocRef): string {
  if (typeof d === 'string') return d;
  try {
    return definitions()[d.definition]?.properties?.[d.field]?.description ?? '';
  } catch {
    // Without the generated schemas (a bare checkout) tables still work, just without the docs.
    return '';
  }
}

const resolved = new WeakMap<readonly ColumnSpec[], TableColumnDefinition[]>();

/** The wire form of a column list, resolved once per printer. */
export function columnDefinitions(columns: readonly ColumnSpec[]): TableColumnDefinition[] {
  let defs = resolved.get(columns);
  if (!defs) {
    defs = columns.map((c) => ({
      name: c.name,
      type: c.type,
      format: c.format ?? '',
      description: describe(c.description),
      priority: c.priority ?? 0,
    }));
    resolved.set(columns, defs);
  }
  return defs;
}
