// PodTemplates: NAME CONTAINERS IMAGES POD LABELS (no AGE column, as upstream).

import type { PodTemplate } from 'kubernetes-types/core/v1.js';
import { containerCells, formatLabelMap } from './format.js';
import { col, definePrinter, NAME_COLUMN } from './printer.js';

export const podTemplatePrinter = definePrinter<PodTemplate>({
  columns: [
    NAME_COLUMN,
    col('Containers', 'string', 'Names of each container in the template.'),
    col('Images', 'string', 'Images referenced by each container in the template.'),
    col('Pod Labels', 'string', 'The labels for the pod template.'),
  ],
  cells(pt) {
    const [names, images] = containerCells(pt.template?.spec?.containers);
    return [pt.metadata?.name ?? '', names, images, formatLabelMap(pt.template?.metadata?.labels)];
  },
});
