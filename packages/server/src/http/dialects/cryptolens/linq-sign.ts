import type { CryptolensLicense } from './license-object.js';

/**
 * SignMethod=0 ("LinqSign"): the license as a camelCase JSON object with ISO dates, and a signature over a
 * text the .NET SDK rebuilds from that object. The text is every public property of its LicenseKey class in
 * declaration order (Reseller and RawResponse excepted), joined with commas: numbers in decimal, booleans as
 * True/False, null as nothing, dates as yyyy-MM-ddTHH:mm:ss, the customer as Name,Email,CompanyName,Created,
 * activations as [Mid,IP,Time,…] and data objects as [Id,Name,StringValue,IntValue,…] — each entry followed by
 * a comma — and the Signature itself as nothing. The signature is RSA PKCS#1 v1.5 SHA-256 over that text's
 * UTF-16LE bytes (the SDK copies chars to bytes).
 */

/** yyyy-MM-ddTHH:mm:ss in UTC without zone: the vendor's date form, whole seconds (the SDK drops fractions). */
export const isoSeconds = (date: Date): string => date.toISOString().slice(0, 19);

/** The camelCase object as JSON names it (dates as text), which is also what the field string is built from. */
export interface LinqLicenseJson {
  productId: number;
  id: number;
  key: string | null;
  created: string;
  expires: string;
  period: number;
  f1: boolean;
  f2: boolean;
  f3: boolean;
  f4: boolean;
  f5: boolean;
  f6: boolean;
  f7: boolean;
  f8: boolean;
  notes: string | null;
  block: boolean;
  globalId: number;
  customer: {
    id: number;
    name: string | null;
    email: string | null;
    companyName: string | null;
    created: string;
  } | null;
  activatedMachines: Array<{
    mid: string | null;
    ip: string | null;
    time: string | null;
    friendlyName?: string | null;
    floatingExpires?: string | null;
  }> | null;
  trialActivation: boolean;
  maxNoOfMachines: number;
  allowedMachines: string | null;
  dataObjects: Array<{
    id: number;
    name: string | null;
    stringValue: string | null;
    intValue: number;
  }> | null;
  reseller?: Record<string, unknown> | null;
  signDate: string;
  signature: string | null;
}

export function linqSignJson(license: CryptolensLicense): LinqLicenseJson {
  const mv = license.modelVersion;
  const [f1, f2, f3, f4, f5, f6, f7, f8] = license.features as [
    boolean,
    boolean,
    boolean,
    boolean,
    boolean,
    boolean,
    boolean,
    boolean,
  ];
  return {
    productId: license.productId,
    id: license.id,
    key: license.key,
    created: isoSeconds(license.created),
    expires: isoSeconds(license.expires),
    period: license.period,
    f1,
    f2,
    f3,
    f4,
    f5,
    f6,
    f7,
    f8,
    notes: license.notes,
    block: license.block,
    globalId: license.globalId,
    customer: license.customer && { ...license.customer, created: isoSeconds(license.customer.created) },
    activatedMachines: license.activatedMachines.map((m) => ({
      mid: m.mid,
      ip: m.ip,
      time: isoSeconds(m.time),
      ...(mv >= 2 ? { friendlyName: m.friendlyName } : {}),
      ...(mv >= 3 ? { floatingExpires: m.floatingExpires ? isoSeconds(m.floatingExpires) : null } : {}),
    })),
    trialActivation: license.trialActivation,
    maxNoOfMachines: license.maxNoOfMachines,
    allowedMachines: license.allowedMachines,
    dataObjects: license.dataObjects,
    ...(mv >= 3
      ? {
          reseller: license.reseller && {
            ...license.reseller,
            created: isoSeconds(license.reseller.created),
          },
        }
      : {}),
    signDate: isoSeconds(license.signDate),
    signature: null,
  };
}

const text = (value: unknown): string => (value === null || value === undefined ? '' : String(value));
/** .NET's int and bool properties cannot be null: a missing one reads as 0 or False. */
const int = (value: number | null | undefined): string => String(value ?? 0);
const bool = (value: boolean | null | undefined): string => (value ? 'True' : 'False');
/** Dates as the SDK formats the DateTime it parsed: the first 19 characters of the ISO form. */
const date = (value: string | null | undefined): string => (value ? value.slice(0, 19) : '');
const list = <T>(items: T[] | null, entry: (item: T) => string): string =>
  items === null ? '' : `[${items.map((item) => `${entry(item)},`).join('')}]`;

/** The text the LinqSign signature covers, rebuilt from the JSON object exactly as the .NET SDK does. */
export function linqSignText(json: LinqLicenseJson): string {
  const c = json.customer;
  return [
    int(json.productId),
    int(json.id),
    text(json.key),
    date(json.created),
    date(json.expires),
    int(json.period),
    bool(json.f1),
    bool(json.f2),
    bool(json.f3),
    bool(json.f4),
    bool(json.f5),
    bool(json.f6),
    bool(json.f7),
    bool(json.f8),
    text(json.notes),
    bool(json.block),
    int(json.globalId),
    c ? `${text(c.name)},${text(c.email)},${text(c.companyName)},${date(c.created)}` : '',
    list(json.activatedMachines, (m) => `${text(m.mid)},${text(m.ip)},${date(m.time)}`),
    bool(json.trialActivation),
    int(json.maxNoOfMachines),
    text(json.allowedMachines),
    list(json.dataObjects, (d) => `${int(d.id)},${text(d.name)},${text(d.stringValue)},${int(d.intValue)}`),
    date(json.signDate),
    '',
  ].join(',');
}

/** The bytes the signature covers: UTF-16LE, as the SDK copies each char into two bytes. */
export const linqSignBytes = (json: LinqLicenseJson): Buffer => Buffer.from(linqSignText(json), 'utf16le');

export async function linqSign(
  license: CryptolensLicense,
  sign: ((bytes: Buffer) => Promise<string>) | null,
): Promise<{ licenseKey: LinqLicenseJson }> {
  const json = linqSignJson(license);
  return { licenseKey: { ...json, signature: sign ? await sign(linqSignBytes(json)) : null } };
}
