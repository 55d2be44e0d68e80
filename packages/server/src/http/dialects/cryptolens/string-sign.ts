import type { CryptolensLicense } from './license-object.js';

/** Instants as the vendor's SignMethod=1 payload has them: whole unix seconds. */
export const unixSeconds = (date: Date): number => Math.floor(date.getTime() / 1000);

/**
 * The SignMethod=1 ("StringSign") payload: compact UTF-8 JSON with PascalCase names in the vendor's order and
 * unix-second dates. Clients verify the signature over exactly these bytes, then JSON-parse them, so the
 * order only has to be stable; it follows the real server's replies. Newer fields appear only in the model
 * version that introduced them (Python builds activations with `ActivatedMachine(**item)` and resellers
 * with `Reseller(**obj)`, so no other keys may appear).
 */
export function stringSignPayload(license: CryptolensLicense): string {
  const mv = license.modelVersion;
  const flags = Object.fromEntries(license.features.map((on, index) => [`F${index + 1}`, on]));
  const customer = license.customer && {
    Id: license.customer.id,
    Name: license.customer.name,
    Email: license.customer.email,
    CompanyName: license.customer.companyName,
    Created: unixSeconds(license.customer.created),
  };
  const reseller = license.reseller && {
    Id: license.reseller.id,
    InviteId: license.reseller.inviteId,
    ResellerUserId: license.reseller.resellerUserId,
    Created: unixSeconds(license.reseller.created),
    Name: license.reseller.name,
    Url: license.reseller.url,
    Email: license.reseller.email,
    Phone: license.reseller.phone,
    Description: license.reseller.description,
  };
  return JSON.stringify({
    ProductId: license.productId,
    ID: license.id,
    Key: license.key,
    Created: unixSeconds(license.created),
    Expires: unixSeconds(license.expires),
    Period: license.period,
    ...flags,
    Notes: license.notes,
    Block: license.block,
    GlobalId: license.globalId,
    Customer: customer,
    ActivatedMachines: license.activatedMachines.map((m) => ({
      Mid: m.mid,
      ...(mv >= 2 ? { FriendlyName: m.friendlyName } : {}),
      IP: m.ip,
      Time: unixSeconds(m.time),
      ...(mv >= 3 ? { FloatingExpires: m.floatingExpires ? unixSeconds(m.floatingExpires) : null } : {}),
    })),
    TrialActivation: license.trialActivation,
    MaxNoOfMachines: license.maxNoOfMachines,
    AllowedMachines: license.allowedMachines,
    DataObjects: license.dataObjects.map((d) => ({
      Id: d.id,
      Name: d.name,
      StringValue: d.stringValue,
      IntValue: d.intValue,
    })),
    ...(mv >= 3 ? { Reseller: reseller } : {}),
    SignDate: unixSeconds(license.signDate),
  });
}

/** `licenseKey` and `signature` of a SignMethod=1 answer; the signature is RSA PKCS#1 v1.5 SHA-256. */
export async function stringSign(
  license: CryptolensLicense,
  sign: ((bytes: Buffer) => Promise<string>) | null,
): Promise<{ licenseKey: string; signature: string | null }> {
  const bytes = Buffer.from(stringSignPayload(license), 'utf8');
  return { licenseKey: bytes.toString('base64'), signature: sign ? await sign(bytes) : null };
}
