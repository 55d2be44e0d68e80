import { effectiveRules, type License } from '../model.js';
import type { Repositories } from '../ports.js';

/** A time as a customer reads it in an email: to the minute, in UTC, said so. */
export function emailDate(at: Date): string {
  return `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/**
 * The values a license's messages (delivered, renewed, expiring soon, expired) may name, read in the caller's
 * transaction; what the license lacks is ''.
 */
export async function licenseEmailVariables(
  tx: Repositories,
  license: License,
): Promise<Record<string, string>> {
  const productId = license.productIds[0];
  const [product, policy, customer] = await Promise.all([
    productId === undefined ? null : tx.products.findById(productId),
    tx.policies.findById(license.policyId),
    license.customerId === null ? null : tx.customers.findById(license.customerId),
  ]);
  return {
    licenseKey: license.key,
    productName: product?.name ?? '',
    policyName: policy?.name ?? '',
    customerName: customer?.name ?? '',
    expiresAt: license.expiresAt ? emailDate(license.expiresAt) : '',
    maxMachines: policy ? String(effectiveRules(license, policy).maxMachines) : '',
  };
}
