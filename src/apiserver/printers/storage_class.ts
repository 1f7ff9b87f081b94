// StorageClasses: NAME PROVISIONER RECLAIMPOLICY VOLUMEBINDINGMODE ALLOWVOLUMEEXPANSION AGE.
// The default class's name carries ` (default)`.

import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import { since } from './format.js';
import { AGE_COLUMN, col, definePrinter, doc, NAME_COLUMN } from './printer.js';

const SC = 'io.k8s.api.storage.v1.StorageClass';
const DEFAULT_ANNOTATIONS = ['storageclass.kubernetes.io/is-default-class', 'storageclass.beta.kubernetes.io/is-default-class'];

export const storageClassPrinter = definePrinter<StorageClass>({
  columns: [
    NAME_COLUMN,
    col('Provisioner', 'string', doc(SC, 'provisioner')),
    col('ReclaimPolicy', 'string', doc(SC, 'reclaimPolicy')),
    col('VolumeBindingMode', 'string', doc(SC, 'volumeBindingMode')),
    col('AllowVolumeExpansion', 'string', doc(SC, 'allowVolumeExpansion')),
    AGE_COLUMN,
  ],
  cells(sc, { now }) {
    const annotations = sc.metadata?.annotations ?? {};
    const isDefault = DEFAULT_ANNOTATIONS.some((a) => annotations[a] === 'true');
    return [
      (sc.metadata?.name ?? '') + (isDefault ? ' (default)' : ''),
      sc.provisioner ?? '',
      sc.reclaimPolicy ?? 'Delete',
      sc.volumeBindingMode ?? 'Immediate',
      sc.allowVolumeExpansion ?? false,
      since(sc.metadata?.creationTimestamp, now),
    ];
  },
});
