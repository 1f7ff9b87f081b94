// PersistentVolumes: NAME CAPACITY ACCESS MODES RECLAIM POLICY STATUS CLAIM STORAGECLASS
// VOLUMEATTRIBUTESCLASS REASON AGE, wide VOLUMEMODE.

import type { PersistentVolume } from 'kubernetes-types/core/v1.js';
import { quantity, since, UNSET } from './format.js';
import { AGE_COLUMN, col, CORE, definePrinter, doc, NAME_COLUMN } from './printer.js';

const SPEC = CORE + 'PersistentVolumeSpec';

/** RWO,ROX,RWX,RWOP in this fixed order, each once. */
export function accessModes(modes: readonly string[] | undefined): string {
  const has = new Set(modes ?? []);
  const out: string[] = [];
  if (has.has('ReadWriteOnce')) out.push('RWO');
  if (has.has('ReadOnlyMany')) out.push('ROX');
  if (has.has('ReadWriteMany')) out.push('RWX');
  if (has.has('ReadWriteOncePod')) out.push('RWOP');
  return out.join(',');
}

/** The beta annotation still takes precedence over spec.storageClassName, as upstream reads it. */
export const BETA_STORAGE_CLASS = 'volume.beta.kubernetes.io/storage-class';

export const persistentVolumePrinter = definePrinter<PersistentVolume>({
  columns: [
    NAME_COLUMN,
    col('Capacity', 'string', doc(SPEC, 'capacity')),
    col('Access Modes', 'string', doc(SPEC, 'accessModes')),
    col('Reclaim Policy', 'string', doc(SPEC, 'persistentVolumeReclaimPolicy')),
    col('Status', 'string', doc(CORE + 'PersistentVolumeStatus', 'phase')),
    col('Claim', 'string', doc(SPEC, 'claimRef')),
    col('StorageClass', 'string', 'StorageClass of the pv'),
    col('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pv'),
    col('Reason', 'string', doc(CORE + 'PersistentVolumeStatus', 'reason')),
    AGE_COLUMN,
    col('VolumeMode', 'string', doc(SPEC, 'volumeMode'), 1),
  ],
  cells(pv, { now }) {
    const claim = pv.spec?.claimRef ? `${pv.spec.claimRef.namespace ?? ''}/${pv.spec.claimRef.name ?? ''}` : '';
    const phase = pv.metadata?.deletionTimestamp ? 'Terminating' : pv.status?.phase ?? '';
    const storageClass = pv.metadata?.annotations?.[BETA_STORAGE_CLASS] ?? pv.spec?.storageClassName ?? '';
    return [
      pv.metadata?.name ?? '',
      quantity(pv.spec?.capacity?.storage),
      accessModes(pv.spec?.accessModes),
      pv.spec?.persistentVolumeReclaimPolicy ?? '',
      phase,
      claim,
      storageClass,
      pv.spec?.volumeAttributesClassName ?? UNSET,
      pv.status?.reason ?? '',
      since(pv.metadata?.creationTimestamp, now),
      pv.spec?.volumeMode ?? UNSET,
    ];
  },
});
