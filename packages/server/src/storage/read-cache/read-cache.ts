import { LRUCache } from 'lru-cache';
import type { ApiTokenRecord } from '../../core/access/token-ports.js';
import { renewedIfBefore } from '../../core/licenses/last-validated.js';
import type { LicenseWithSeats } from '../../core/licenses/license-ports.js';
import type { LicenseVersion } from '../../core/machines/license-version.js';
import type { DataObject, License, Machine, Policy, Product } from '../../core/model.js';
import type { CacheChange } from './cache-change.js';
import { deepFreeze } from './deep-freeze.js';
import { type DecodedEntry as Entry, EntryCodec } from './entry-codec.js';

export type CachedToken = ApiTokenRecord & { secretHash: string };

/** A decoded entry kept as shared frozen objects, for as long as its license's encoding is the one cached. */
interface Decoded {
  encoded: string;
  entry: Entry;
}

/**
 * Licenses kept decoded beside their encodings, by default: a cache hit on one of them decodes nothing and
 * hands out the same frozen objects as the hit before, whose presentations are kept beside them
 * (http/native/present.ts). ~1.7 KB each, and as much again for the presentations.
 */
const DECODED_ENTRIES = 20_000;

const isVersion = (license: License, version: LicenseVersion) =>
  license.activationCount === version.activationCount &&
  license.resetCount === version.resetCount &&
  license.updatedAt.getTime() === version.updatedAt.getTime();

/**
 * A bound by count for a cache that usually holds far fewer: lru-cache sets aside its arrays for `max` entries
 * when it is made (~7 MB for 250,000), and counted by `maxSize` they grow as entries come instead. The
 * licenses, which fill the bound on a busy server, keep `max`.
 */
const upTo = (entries: number) => ({ maxSize: entries, sizeCalculation: () => 1 });

/** How many recent invalidations are remembered to refuse a load that read before one of them. */
const REMEMBERED_INVALIDATIONS = 20_000;

/**
 * The in-process cache of what validation reads: licenses with their active machines (by key and by id),
 * policies, API tokens and products, as the database held them. Reads of the store outside a transaction are served
 * from it (cached-repositories.ts); every change invalidates: this process's own writes when they commit
 * (change-marks.ts), other processes' over the database's change feed (PostgreSQL LISTEN/NOTIFY, SQLite's
 * change log). Derived state is never cached: status, lapsed leases and expiry are decided at each read's
 * instant from these rows (core/licenses/license-view.ts).
 *
 * A license with its machines is kept encoded (entry-codec.ts: ~200 bytes against ~1.7 KB as objects, so a
 * million fit), and the most recently read ones also decoded, as frozen objects shared by the requests that
 * read them until the license changes.
 *
 * A load that read the database before an invalidation of what it read must not store its result after it:
 * each load takes a ticket (the count of invalidations so far), and storing is refused when one of its
 * license, policy, machines or token was invalidated since, when everything was, or when the cache stopped
 * trusting its feed (`suspend`) meanwhile. Bounded: past `maxEntries` the licenses (and their data objects),
 * tokens and products read longest ago make room; past 20,000 invalidations the oldest is forgotten.
 *
 * Every bound is lru-cache's rather than a Map's first key: a Map keeps a hole for each deleted entry until it
 * rehashes, and finding its first key walks them, so evicting from a full Map of 250,000 licenses took tens of
 * microseconds, more as the holes piled up.
 */
export class ReadCache {
  private epoch = 0;
  /** Loads whose ticket is older than this store nothing: everything was invalidated since. */
  private validFrom = 0;
  private live: boolean;
  private readonly codec = new EntryCodec();
  /** License id → the license with its machines, encoded. */
  private readonly entries: LRUCache<number, string>;
  /** Decodings of recently read entries; one is used only while its encoding is still the entry's. */
  private readonly decoded: LRUCache<number, Decoded>;
  private readonly idByKey = new Map<string, number>();
  private readonly licenseOfMachine = new Map<number, number>();
  private readonly policies = new Map<number, Policy>();
  private readonly products: LRUCache<number, Product>;
  private readonly tokens: LRUCache<string, CachedToken>;
  private readonly tokenHashById = new Map<number, string>();
  /** A license's data objects (Cryptolens GetKey shows them), invalidated with the license. */
  private readonly licenseData: LRUCache<number, DataObject[]>;
  private readonly licenseOfDataObject = new Map<number, number>();
  /** `l1`, `m7`, `p3`, `t2`, `d5`, `c4` → the epoch it was last invalidated at; the oldest is forgotten first. */
  private readonly invalidated = new LRUCache<string, number>({
    max: REMEMBERED_INVALIDATIONS,
    dispose: (at, _, reason) => {
      // What is forgotten can no longer refuse a load: loads older than it store nothing.
      if (reason === 'evict') this.validFrom = Math.max(this.validFrom, at);
    },
  });

  constructor(maxEntries: number, options: { live?: boolean; decodedEntries?: number } = {}) {
    this.live = options.live ?? true;
    this.entries = new LRUCache({
      max: maxEntries,
      dispose: (encoded, id, reason) => {
        if (reason === 'evict') this.dropIndexesOf(id, this.decodedOf(id, encoded));
      },
    });
    this.decoded = new LRUCache({ max: options.decodedEntries ?? DECODED_ENTRIES });
    this.products = new LRUCache(upTo(maxEntries));
    this.tokens = new LRUCache({
      ...upTo(maxEntries),
      dispose: (token, hash, reason) => {
        if (reason === 'evict' && this.tokenHashById.get(token.id) === hash)
          this.tokenHashById.delete(token.id);
      },
    });
    this.licenseData = new LRUCache({
      ...upTo(maxEntries),
      dispose: (objects, _, reason) => {
        if (reason === 'evict') this.unindexDataObjects(objects);
      },
    });
  }

  /** Whether reads may be answered from the cache now (false while the change feed is down). */
  get isLive(): boolean {
    return this.live;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Stops answering from the cache and forgets everything: its change feed can no longer be trusted. */
  suspend(): void {
    this.live = false;
    this.clear();
  }

  /** Answers from the cache again, starting empty: the feed is back and nothing from before it is kept. */
  resume(): void {
    this.clear();
    this.live = true;
  }

  ticket(): number {
    return this.epoch;
  }

  seatsByKey(key: string): LicenseWithSeats | undefined {
    const id = this.idByKey.get(key);
    return id === undefined ? undefined : this.seatsById(id);
  }

  seatsById(id: number): LicenseWithSeats | undefined {
    const entry = this.live ? this.entry(id) : undefined;
    const policy = entry && this.policies.get(entry.license.policyId);
    if (!entry || !policy) return undefined;
    return { license: entry.license, policy, machines: entry.machines };
  }

  /** The entry as shared frozen objects: kept from an earlier read while it has not changed, else decoded. */
  private entry(id: number): Entry | undefined {
    const encoded = this.entries.get(id);
    if (encoded === undefined) return undefined;
    const known = this.decoded.get(id);
    if (known?.encoded === encoded) return known.entry;
    return this.keepDecoded(id, encoded, this.codec.decode(encoded));
  }

  /** The entry, for a change of the cache itself: decoded if need be, without keeping the decoding. */
  private peek(id: number): Entry | undefined {
    const encoded = this.entries.peek(id);
    return encoded === undefined ? undefined : this.decodedOf(id, encoded);
  }

  /** An encoding's decoding: the kept one when it is of this encoding, else decoded now and not kept. */
  private decodedOf(id: number, encoded: string): Entry {
    const known = this.decoded.peek(id);
    return known?.encoded === encoded ? known.entry : this.codec.decode(encoded);
  }

  private keepDecoded(id: number, encoded: string, entry: Entry): Entry {
    const frozen = deepFreeze(entry);
    this.decoded.set(id, { encoded, entry: frozen });
    return frozen;
  }

  /** Keeps a license with its machines, encoded and, as the freshest read, decoded. */
  private setEntry(license: License, machines: Machine[]): void {
    const encoded = this.codec.encode(license, machines);
    this.entries.set(license.id, encoded);
    this.keepDecoded(license.id, encoded, { license, machines });
  }

  dataObjectsOf(licenseId: number): DataObject[] | undefined {
    return this.live ? this.licenseData.get(licenseId) : undefined;
  }

  storeDataObjects(ticket: number, licenseId: number, objects: DataObject[]): void {
    if (!this.mayStore(ticket, [`l${licenseId}`])) return;
    if (objects.some((o) => this.wasInvalidatedSince(ticket, `d${o.id}`))) return;
    this.forgetDataObjects(licenseId);
    this.licenseData.set(licenseId, deepFreeze(objects));
    for (const object of objects) this.licenseOfDataObject.set(object.id, licenseId);
  }

  policy(id: number): Policy | undefined {
    return this.live ? this.policies.get(id) : undefined;
  }

  product(id: number): Product | undefined {
    return this.live ? this.products.get(id) : undefined;
  }

  token(secretHash: string): CachedToken | undefined {
    return this.live ? this.tokens.get(secretHash) : undefined;
  }

  /** Keeps what a load read, unless something it read was invalidated after its ticket. */
  storeSeats(ticket: number, found: LicenseWithSeats): void {
    const { license, policy, machines } = found;
    if (!policy || !this.mayStore(ticket, [`l${license.id}`, `p${policy.id}`])) return;
    if (machines.some((m) => this.wasInvalidatedSince(ticket, `m${m.id}`))) return;
    this.forgetLicense(license.id);
    this.setEntry(license, machines);
    this.idByKey.set(license.key, license.id);
    for (const machine of machines) this.licenseOfMachine.set(machine.id, license.id);
    this.policies.set(policy.id, deepFreeze(policy));
  }

  storePolicy(ticket: number, policy: Policy): void {
    if (this.mayStore(ticket, [`p${policy.id}`])) this.policies.set(policy.id, deepFreeze(policy));
  }

  storeProduct(ticket: number, product: Product): void {
    if (!this.mayStore(ticket, [`c${product.id}`])) return;
    this.products.set(product.id, deepFreeze(product));
  }

  storeToken(ticket: number, token: CachedToken): void {
    if (!this.mayStore(ticket, [`t${token.id}`])) return;
    const previous = this.tokenHashById.get(token.id);
    if (previous !== undefined) this.tokens.delete(previous);
    this.tokens.set(token.secretHash, deepFreeze(token));
    this.tokenHashById.set(token.id, token.secretHash);
  }

  /**
   * Validation's bookkeeping (the batched `lastValidatedAt` touch) is no change of what decides anything: the
   * cached licenses take the new time in place instead of being dropped, which would empty the cache of every
   * license in use at each flush. Renewed as the database renews it (core/licenses/last-validated.ts): each
   * touch makes a new frozen copy, and a copy per validation made garbage faster than the answers themselves.
   * Other processes learn the time only when they next load the license.
   */
  private touchValidated(ids: readonly number[], at: Date): void {
    const renewBefore = renewedIfBefore(at).getTime();
    for (const id of ids) {
      const entry = this.peek(id);
      const last = entry?.license.lastValidatedAt?.getTime() ?? Number.NEGATIVE_INFINITY;
      if (entry && last < renewBefore)
        this.setEntry({ ...entry.license, lastValidatedAt: at }, entry.machines);
    }
  }

  apply(change: CacheChange): void {
    if (change.validated) this.touchValidated(change.validated.ids, change.validated.at);
    if (Object.keys(change).every((kind) => kind === 'validated')) return;
    this.epoch += 1;
    if (change.everything) {
      this.clear();
      return;
    }
    if (change.activated) this.keepActivated(change.activated);
    for (const id of change.licenses ?? []) {
      this.remember(`l${id}`);
      this.forgetLicense(id);
    }
    for (const id of change.machines ?? []) {
      this.remember(`m${id}`);
      const license = this.licenseOfMachine.get(id);
      if (license !== undefined) this.forgetLicense(license);
    }
    for (const id of change.dataObjects ?? []) {
      this.remember(`d${id}`);
      const license = this.licenseOfDataObject.get(id);
      if (license !== undefined) this.forgetDataObjects(license);
    }
    for (const id of change.policies ?? []) {
      this.remember(`p${id}`);
      this.policies.delete(id);
    }
    for (const id of change.products ?? []) {
      this.remember(`c${id}`);
      this.products.delete(id);
    }
    for (const id of change.tokens ?? []) {
      this.remember(`t${id}`);
      const hash = this.tokenHashById.get(id);
      if (hash !== undefined) this.tokens.delete(hash);
      this.tokenHashById.delete(id);
    }
  }

  /**
   * A guarded activation this process committed: the license's entry takes the new count and machine in place
   * when it still holds the version the activation was decided on, instead of being dropped and read again by
   * the next request (usually the app validating what it just activated). Anything else that changed the
   * license since was either heard of (the entry is gone or has another version: it is dropped) or will be,
   * as its invalidation is on its way; loads that read before the activation store nothing.
   */
  private keepActivated({ license, machine, before }: NonNullable<CacheChange['activated']>): void {
    this.remember(`l${license.id}`);
    const entry = this.peek(license.id);
    if (!entry || !isVersion(entry.license, before) || entry.license.key !== license.key) {
      this.forgetLicense(license.id);
      return;
    }
    const machines = [...entry.machines, machine].sort((a, b) => a.id - b.id);
    this.setEntry(license, machines);
    this.licenseOfMachine.set(machine.id, license.id);
  }

  private mayStore(ticket: number, names: string[]): boolean {
    return (
      this.live && ticket >= this.validFrom && !names.some((name) => this.wasInvalidatedSince(ticket, name))
    );
  }

  private wasInvalidatedSince(ticket: number, name: string): boolean {
    return (this.invalidated.peek(name) ?? -1) > ticket;
  }

  /** Notes an invalidation; a name invalidated again moves to the newest, so the oldest time is forgotten first. */
  private remember(name: string): void {
    this.invalidated.set(name, this.epoch);
  }

  private forgetDataObjects(licenseId: number): void {
    this.unindexDataObjects(this.licenseData.peek(licenseId) ?? []);
    this.licenseData.delete(licenseId);
  }

  private unindexDataObjects(objects: readonly DataObject[]): void {
    for (const object of objects) this.licenseOfDataObject.delete(object.id);
  }

  private forgetLicense(id: number): void {
    const entry = this.peek(id);
    this.entries.delete(id);
    if (entry) this.dropIndexesOf(id, entry);
    else this.forgetDataObjects(id);
  }

  /** What points at a license that is no longer kept: its key, its machines, its decoding, its data objects. */
  private dropIndexesOf(id: number, entry: Entry): void {
    this.forgetDataObjects(id);
    this.decoded.delete(id);
    if (this.idByKey.get(entry.license.key) === id) this.idByKey.delete(entry.license.key);
    for (const machine of entry.machines) this.licenseOfMachine.delete(machine.id);
  }

  private clear(): void {
    this.epoch += 1;
    this.validFrom = this.epoch;
    this.entries.clear();
    this.decoded.clear();
    this.idByKey.clear();
    this.licenseOfMachine.clear();
    this.policies.clear();
    this.products.clear();
    this.tokens.clear();
    this.tokenHashById.clear();
    this.licenseData.clear();
    this.licenseOfDataObject.clear();
    this.invalidated.clear();
  }
}
