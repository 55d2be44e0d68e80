/**
 * FieldsToReturn: a bit mask of the fields to hide. The vendor computes it from the "Hide" column of its
 * documentation page, whose bit assignments were never published, so this table is Keyward's own (the
 * README lists it). Hidden fields stay in the answer with a null or default value, because the SDKs read
 * every field. A token's feature lock, when set, replaces the parameter (the vendor gives it priority).
 */
export const HIDE = {
  id: 1,
  key: 2,
  notes: 4,
  globalId: 8,
  customer: 16,
  /** Only the machine of the current activation remains. */
  activatedMachines: 32,
  maxNoOfMachines: 64,
  allowedMachines: 128,
  dataObjects: 256,
  reseller: 512,
  /** The whole metadata object becomes null. */
  metadata: 1024,
  metadataActivatedMachines: 2048,
  metadataUsedFloatingMachines: 4096,
} as const;

export type HiddenField = keyof typeof HIDE;

export const isHidden = (mask: number, field: HiddenField): boolean => (mask & HIDE[field]) !== 0;
