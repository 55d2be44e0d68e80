import type { FeatureField } from '../model.js';
import type { PolicyInput } from './catalog-service.js';

/** The eight boolean flags that apps written for Cryptolens read as F1…F8: feature fields f1…f8, false by default. */
export const FLAG_FIELDS: readonly FeatureField[] = Array.from({ length: 8 }, (_, i) => ({
  name: `f${i + 1}`,
  type: 'boolean' as const,
  isRequired: false,
  defaultValue: false,
}));

export type StandardPolicyKind = 'regular' | 'trial';

/**
 * The policies a product without any policy gets when a caller issues a key naming only the product
 * (Cryptolens' CreateKey and CreateTrialKey know no policies). Regular keys are made as Cryptolens' CreateKey
 * makes them: no machine limit unless the call sets one (MaxNoOfMachines 0), perpetual unless the call gives
 * a Period. Trial keys are trials, node-locked to one machine. Both carry the flags F1…F8.
 */
export const STANDARD_POLICIES: Record<StandardPolicyKind, PolicyInput & { name: string }> = {
  regular: { name: 'Standard', maxMachines: 0, featureFields: [...FLAG_FIELDS] },
  trial: { name: 'Trial', isTrial: true, maxMachines: 1, featureFields: [...FLAG_FIELDS] },
};
