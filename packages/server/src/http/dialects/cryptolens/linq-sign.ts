import type { CryptolensLicense } from './license-object.js';
import { CryptolensFailure, MESSAGES } from './messages.js';

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

/**
 * The text has no escaping (the client rebuilds it from raw values), so a value holding a comma or a square
 * bracket would let whoever chose it re-cut the signed text into other fields: a machine code of
 * `x,…,True,True,…,[pwn,1.1.1.1,…` would sign F1–F8 on, any expiry and an extra machine.
 */
const SEPARATORS = /[,[\]]/;
/** Display text keeps its look once the separators are swapped for these. */
const LOOK_ALIKES: Record<string, string> = { ',': '\u201A', '[': '\uFF3B', ']': '\uFF3D' };
const neutral = <T extends string | null>(value: T): T =>
  (value === null ? value : value.replace(/[,[\]]/g, (c) => LOOK_ALIKES[c] as string)) as T;

/**
 * Display text (notes, the customer, data objects) is the vendor's or an app's free text, where commas are
 * common: in a signed LinqSign answer its separators become look-alikes (U+201A, U+FF3B, U+FF3D), in the
 * JSON and in the signed text alike, so the signature still verifies. Identity text (the key, machine codes,
 * IP addresses, allowed machines) is never altered: the app compares it.
 */
export function withoutSeparators(json: LinqLicenseJson): LinqLicenseJson {
  return {
    ...json,
    notes: neutral(json.notes),
    customer: json.customer && {
      ...json.customer,
      name: neutral(json.customer.name),
      email: neutral(json.customer.email),
      companyName: neutral(json.customer.companyName),
    },
    dataObjects:
      json.dataObjects === null
        ? null
        : json.dataObjects.map((d) => ({ ...d, name: neutral(d.name), stringValue: neutral(d.stringValue) })),
  };
}

/** Every free-text value of the signed text, by name. */
function freeTexts(json: LinqLicenseJson): [string, string | null][] {
  const c = json.customer;
  const texts: [string, string | null][] = [
    ['key', json.key],
    ['notes', json.notes],
    ['allowed machines', json.allowedMachines],
  ];
  if (c) texts.push(['customer name', c.name], ['customer email', c.email], ['company name', c.companyName]);
  for (const m of json.activatedMachines ?? []) texts.push(['machine code', m.mid], ['IP address', m.ip]);
  for (const d of json.dataObjects ?? [])
    texts.push(['data object name', d.name], ['data object value', d.stringValue]);
  return texts;
}

/**
 * The signer's own guard, whatever the callers checked: it signs no text in which a free-text value holds a
 * separator. Core refuses such fingerprints at activation; this catches what older data or a new field
 * might still carry, and the caller is told to use SignMethod=1 (JSON, where nothing can be re-cut).
 */
export function assertUnambiguous(json: LinqLicenseJson): void {
  const found = freeTexts(json).find(([, value]) => value !== null && SEPARATORS.test(value));
  if (found) throw new CryptolensFailure(`${MESSAGES.linqSignSeparator} (${found[0]})`);
}

export async function linqSign(
  license: CryptolensLicense,
  sign: ((bytes: Buffer) => Promise<string>) | null,
): Promise<{ licenseKey: LinqLicenseJson }> {
  if (!sign) return { licenseKey: linqSignJson(license) };
  const json = withoutSeparators(linqSignJson(license));
  assertUnambiguous(json);
  return { licenseKey: { ...json, signature: await sign(linqSignBytes(json)) } };
}
