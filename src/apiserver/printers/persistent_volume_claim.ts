// PersistentVolumeClaims: NAME STATUS VOLUME CAPACITY ACCESS MODES STORAGECLASS
// VOLUMEATTRIBUTESCLASS AGE, wide VOLUMEMODE. Capacity and access modes show only once bound.

import type { PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import { quantity, since, UNSET } from './format.js';
import { accessModes, BETA_STORAGE_CLASS } from './persistent_volume.js';
import { AGE_COLUMN, col, CORE, definePrinter, doc, NAME_COLUMN } from './printer.js';

const SPEC = CORE + 'PersistentVolumeClaimSpec';
const STATUS = CORE + 'PersistentVolumeClaimStatus';

export const persistentVolumeClaimPrinter = definePrinter<PersistentVolumeClaim>({
  columns: [
    NAME_COLUMN,
    col('Status', 'string', doc(STATUS, 'phase')),
    col('Volume', 'string', doc(SPEC, 'volumeName')),
    col('Capacity', 'string', doc(STATUS, 'capacity')),
    col('Access Modes', 'string', doc(STATUS, 'accessModes')),
    col('StorageClass', 'string', 'StorageClass of the pvc'),
    col('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pvc'),
    AGE_COLUMN,
    col('VolumeMode', 'string', doc(SPEC, 'volumeMode'), 1),
  ],
  cells(pvc, { now }) {
    const bound = !!pvc.spec?.volumeName;
    return [
      pvc.metadata?.name ?? '',
      pvc.metadata?.deletionTimestamp ? 'Terminating' : pvc.status?.phase ?? '',
      pvc.spec?.volumeName ?? '',
      bound ? quantity(pvc.status?.capacity?.storage) : '',
      bound ? accessModes(pvc.status?.accessModes) : '',
      pvc.metadata?.annotations?.[BETA_STORAGE_CLASS] ?? pvc.spec?.storageClassName ?? '',
      pvc.spec?.volumeAttributesClassName ?? UNSET,
      since(pvc.metadata?.creationTimestamp, now),
      pvc.spec?.volumeMode ?? UNSET,
    ];
  },
});
