import type { FeatureValue, License } from '../model.js';
import type { Store } from '../ports.js';

/**
 * Values of the feature fields apps may read, defaults included, for answers that leave the server's control
 * (offline responses, license files); fields marked not app-readable stay on the server.
 */
export async function appReadableFeatures(
  store: Pick<Store, 'policies' | 'featureFieldDetails'>,
  license: License,
): Promise<Record<string, FeatureValue>> {
  const policy = await store.policies.findById(license.policyId);
  const details = await store.featureFieldDetails.listByPolicy(license.policyId);
  const features: Record<string, FeatureValue> = {};
  for (const field of policy?.featureFields ?? []) {
    if (details.find((d) => d.name === field.name)?.isAppReadable === false) continue;
    const value = license.features[field.name] ?? field.defaultValue;
    if (value !== null && value !== undefined) features[field.name] = value;
  }
  return features;
}
