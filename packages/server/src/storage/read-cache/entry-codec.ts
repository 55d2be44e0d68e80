import type { License, Machine } from '../../core/model.js';
import { deepFreeze } from './deep-freeze.js';

/**
 * A cached license with its machines, kept as one compact string instead of a tree of objects: a license
 * with a machine is ~200 bytes this way against ~1.7 KB as JavaScript objects (a `Date` alone is an object of
 * its own), so a million of them fit in memory, and the garbage collector has one flat string to skip
 * instead of dozens of objects to trace. Decoding makes fresh objects (~2.3 µs); the read cache keeps the
 * decodings of the licenses read last, so that a hit on one of them decodes nothing (read-cache.ts).
 *
 * The string holds bytes (one per character, so V8 stores it one byte per character): each field in a fixed
 * order, the order of the tables below. A field starts with a tag: absent (optional fields never set), null,
 * false, true, a value in the field's own encoding, interned JSON, or JSON written out in place. Numbers are
 * zigzag varints, instants 8-byte doubles of their milliseconds, texts UTF-8 with their length in front.
 * Structured fields (products, overrides, features, tags…) are JSON interned in a table the cache shares: most
 * licenses hold the same few values (`[]`, `{}`, the same overrides), so each costs a varint, and the decoded
 * value is one frozen object every license with it shares.
 */

type FieldKind = 'int' | 'instant' | 'flag' | 'text' | 'json';

/** Every field of License, so a field added to the model fails to compile until it has a kind here. */
const LICENSE_FIELDS: { [K in keyof Required<License>]: FieldKind } = {
  id: 'int',
  key: 'text',
  policyId: 'int',
  productIds: 'json',
  customerId: 'int',
  email: 'text',
  notes: 'text',
  alias: 'text',
  expiresAt: 'instant',
  firstActivatedAt: 'instant',
  isSuspended: 'flag',
  revokedAt: 'instant',
  overrides: 'json',
  isCleanable: 'flag',
  activationCount: 'int',
  deactivationCount: 'int',
  resetCount: 'int',
  features: 'json',
  tags: 'json',
  allowedMachines: 'json',
  namedUsers: 'json',
  createdAt: 'instant',
  updatedAt: 'instant',
  lastValidatedAt: 'instant',
  termSeconds: 'int',
  hasTrialActivation: 'flag',
  trialFingerprint: 'text',
  resellerId: 'int',
  activationPeriod: 'json',
  termPeriod: 'json',
};

const MACHINE_FIELDS: { [K in keyof Required<Machine>]: FieldKind } = {
  id: 'int',
  licenseId: 'int',
  fingerprint: 'text',
  name: 'text',
  ip: 'text',
  platform: 'text',
  isVm: 'flag',
  username: 'text',
  createdAt: 'instant',
  lastSeenAt: 'instant',
  leaseExpiresAt: 'instant',
  isOverdraft: 'flag',
  expiresAt: 'instant',
  deactivatedAt: 'instant',
};

const LICENSE_LAYOUT = Object.entries(LICENSE_FIELDS) as [string, FieldKind][];
const MACHINE_LAYOUT = Object.entries(MACHINE_FIELDS) as [string, FieldKind][];

const ABSENT = 0;
const NULL = 1;
const FALSE = 2;
const TRUE = 3;
/** The field's own encoding: a varint, an instant or a text. */
const VALUE = 4;
/** A structured value (or one of an unexpected type) as the index of its interned JSON. */
const INTERNED = 5;
/** JSON written out in place: too long to intern, or the table is full. */
const INLINE_JSON = 6;

/** JSON values longer than this are written in place rather than interned. */
const MAX_INTERNED_LENGTH = 512;
/** Distinct interned values kept at most (≤ 32 MB); later values are written in place. */
const MAX_INTERNED_VALUES = 65_536;

export interface DecodedEntry {
  license: License;
  machines: Machine[];
}

export class EntryCodec {
  private readonly internedIndex = new Map<string, number>();
  private readonly internedValues: unknown[] = [];
  private out = Buffer.allocUnsafe(4096);
  private at = 0;
  private inp = Buffer.allocUnsafe(4096);
  private pos = 0;

  encode(license: License, machines: readonly Machine[]): string {
    this.at = 0;
    this.writeRecord(license, LICENSE_LAYOUT);
    this.writeVarint(machines.length);
    for (const machine of machines) this.writeRecord(machine, MACHINE_LAYOUT);
    return this.out.toString('latin1', 0, this.at);
  }

  decode(encoded: string): DecodedEntry {
    if (this.inp.length < encoded.length) this.inp = Buffer.allocUnsafe(encoded.length * 2);
    this.inp.write(encoded, 0, 'latin1');
    this.pos = 0;
    const license = this.readRecord(LICENSE_LAYOUT) as unknown as License;
    const count = this.readVarint();
    const machines: Machine[] = [];
    for (let i = 0; i < count; i++) machines.push(this.readRecord(MACHINE_LAYOUT) as unknown as Machine);
    return { license, machines };
  }

  /** How many structured values are interned (tests read it to see the table's bound kept). */
  get internedCount(): number {
    return this.internedValues.length;
  }

  private writeRecord(record: object, layout: [string, FieldKind][]): void {
    const fields = record as Record<string, unknown>;
    for (const [name, kind] of layout) {
      const value = fields[name];
      if (value === undefined) this.writeByte(ABSENT);
      else if (value === null) this.writeByte(NULL);
      else if (kind === 'flag' && typeof value === 'boolean') this.writeByte(value ? TRUE : FALSE);
      else if (kind === 'int' && isVarintSized(value)) {
        this.writeByte(VALUE);
        this.writeVarint(zigzag(value as number));
      } else if (kind === 'instant' && value instanceof Date) {
        this.writeByte(VALUE);
        this.ensure(8);
        this.out.writeDoubleLE(value.getTime(), this.at);
        this.at += 8;
      } else if (kind === 'text' && typeof value === 'string') {
        this.writeByte(VALUE);
        this.writeText(value);
      } else this.writeJson(value);
    }
  }

  private readRecord(layout: [string, FieldKind][]): Record<string, unknown> {
    const record: Record<string, unknown> = {};
    for (const [name, kind] of layout) {
      const tag = this.inp[this.pos++];
      if (tag === ABSENT) continue;
      if (tag === NULL) record[name] = null;
      else if (tag === FALSE) record[name] = false;
      else if (tag === TRUE) record[name] = true;
      else if (tag === INTERNED) record[name] = this.internedValues[this.readVarint()];
      else if (tag === INLINE_JSON) record[name] = JSON.parse(this.readText());
      else if (kind === 'int') record[name] = unzigzag(this.readVarint());
      else if (kind === 'instant') {
        record[name] = new Date(this.inp.readDoubleLE(this.pos));
        this.pos += 8;
      } else record[name] = this.readText();
    }
    return record;
  }

  private writeJson(value: unknown): void {
    const json = JSON.stringify(value);
    let index = this.internedIndex.get(json);
    if (
      index === undefined &&
      json.length <= MAX_INTERNED_LENGTH &&
      this.internedValues.length < MAX_INTERNED_VALUES
    ) {
      index = this.internedValues.length;
      this.internedValues.push(deepFreeze(JSON.parse(json)));
      this.internedIndex.set(json, index);
    }
    if (index === undefined) {
      this.writeByte(INLINE_JSON);
      this.writeText(json);
    } else {
      this.writeByte(INTERNED);
      this.writeVarint(index);
    }
  }

  private writeText(text: string): void {
    const most = Buffer.byteLength(text);
    this.writeVarint(most);
    this.ensure(most);
    this.at += this.out.write(text, this.at, 'utf8');
  }

  private readText(): string {
    const length = this.readVarint();
    const text = this.inp.toString('utf8', this.pos, this.pos + length);
    this.pos += length;
    return text;
  }

  private writeByte(byte: number): void {
    this.ensure(1);
    this.out[this.at++] = byte;
  }

  /** Seven bits a byte, low first; arithmetic rather than bitwise, so integers up to 2^53 fit. */
  private writeVarint(value: number): void {
    this.ensure(8);
    let rest = value;
    while (rest >= 0x80) {
      this.out[this.at++] = (rest % 0x80) | 0x80;
      rest = Math.floor(rest / 0x80);
    }
    this.out[this.at++] = rest;
  }

  private readVarint(): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      const byte = this.inp[this.pos++] as number;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 0x80;
    }
  }

  private ensure(bytes: number): void {
    if (this.at + bytes <= this.out.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.out.length * 2, this.at + bytes));
    this.out.copy(grown, 0, 0, this.at);
    this.out = grown;
  }
}

/** Integers whose zigzag form is still exact as a double (every id and count; anything else goes as JSON). */
const isVarintSized = (value: unknown): value is number =>
  Number.isInteger(value) && Math.abs(value as number) < 2 ** 52;

/** Non-negative for any integer of fewer than 53 bits: 0, -1, 1, -2… → 0, 1, 2, 3… */
const zigzag = (n: number) => (n >= 0 ? n * 2 : -n * 2 - 1);
const unzigzag = (n: number) => (n % 2 === 0 ? n / 2 : -(n + 1) / 2);
