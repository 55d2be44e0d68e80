import type { DomainEvent } from '../../../../core/model.js';
import type { CallContext, MethodSpec } from '../call-context.js';
import { licenseOf, productOf } from '../lookups.js';
import { fail, MESSAGES } from '../messages.js';
import { unixSeconds } from '../string-sign.js';

const DEFAULT_LIMIT = 10;
const MAX_LIMIT = 1000;
const BATCH = 500;

/**
 * The log states. The vendor documents only 2015 (an overdraft activation); the other numbers are
 * Keyward's own: 2xxx succeeded, 4xxx was refused (see the README).
 */
export function stateOf(event: DomainEvent): number | null {
  const data = event.data;
  switch (event.type) {
    case 'machine.activated':
      if (data.isOverdraft === true) return 2015;
      if (data.isRecorded === false) return 2012;
      return data.isNew === true ? 2010 : 2011;
    case 'machine.activation_refused':
      return event.code === 'MACHINE_LIMIT_REACHED'
        ? 4010
        : event.code === 'LICENSE_SUSPENDED' || event.code === 'LICENSE_REVOKED'
          ? 4011
          : 4012;
    case 'machine.deactivated':
      return 2020;
    case 'machine.lease_expired':
      return 2021;
    case 'license.validated':
      return 2030;
    case 'license.validation_failed':
      return 4030;
    case 'data_object.created':
      return 2040;
    case 'data_object.updated':
      return 2041;
    case 'data_object.changed':
      return 2042;
    default:
      return null;
  }
}

function statesOf(ctx: CallContext): Set<number> | null {
  const raw = ctx.params.raw('States');
  if (raw === undefined) return null;
  const text = raw.trim();
  const values = text.startsWith('[') ? safeJson(text) : text.split(',').map((v) => Number(v.trim()));
  if (!Array.isArray(values) || values.some((v) => !Number.isInteger(v))) return fail(MESSAGES.invalidInput);
  return new Set(values as number[]);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/**
 * ai/GetWebAPILog: activations, deactivations, validations and data-object changes from the event log,
 * newest first unless OrderBy says "Id ascending". Core decides what the token may read: a token locked to a
 * key reads only that key's entries (Key), one locked to products names one of them (ProductId).
 */
export const getWebApiLog: MethodSpec = {
  scopes: ['events:read'],
  async run(ctx) {
    const { params, keyward } = ctx;
    const license = params.has('Key') ? (await licenseOf(ctx)).license : null;
    const productId = license ? null : params.has('ProductId') ? await productOf(ctx) : null;
    const filter = license ? { licenseId: license.id } : productId !== null ? { productId } : {};
    const page = (before: number | null) =>
      keyward.events.list(ctx.principal, filter, { before, limit: BATCH });
    // Core refuses a filter outside the token's locks; that answer comes before any other parameter's.
    const endingBefore = params.int('EndingBefore', 0);
    let events = await page(endingBefore > 0 ? endingBefore : null);
    const requested = params.int('Limit', DEFAULT_LIMIT);
    const limit = requested > 0 ? Math.min(requested, MAX_LIMIT) : DEFAULT_LIMIT;
    const startingAfter = params.int('StartingAfter', 0);
    const states = statesOf(ctx);
    const machineCode = params.nullableString('MachineCode');
    const friendlyName = params.nullableString('FriendlyName');
    const ascending = params.string('OrderBy').toLowerCase().includes('ascending');

    const logs: Array<Record<string, unknown>> = [];
    scan: for (;;) {
      const newer = events.filter((event) => event.id > startingAfter);
      const shown = newer.filter((event) => {
        const state = stateOf(event);
        return state !== null && (!states || states.has(state));
      });
      for (const { event, license: owner, machine } of await keyward.events.aboutLicenses(
        ctx.principal,
        shown,
      )) {
        const code =
          machine?.fingerprint ??
          (typeof event.data.fingerprint === 'string' ? event.data.fingerprint : null);
        if (machineCode !== null && code !== machineCode) continue;
        if (friendlyName !== null && machine?.name !== friendlyName) continue;
        logs.push({
          id: event.id,
          productId: event.productId,
          key: owner.key,
          ip: event.ip,
          time: unixSeconds(event.createdAt),
          state: stateOf(event),
          machineCode: code,
          friendlyName: machine?.name ?? null,
          floatingExpires: machine?.leaseExpiresAt ? unixSeconds(machine.leaseExpiresAt) : null,
          doIntValue: typeof event.data.delta === 'number' ? event.data.delta : null,
          doId: typeof event.data.dataObjectId === 'number' ? event.data.dataObjectId : null,
        });
        if (!ascending && logs.length >= limit) break scan;
      }
      const last = events[events.length - 1];
      if (newer.length < events.length || events.length < BATCH || !last) break;
      events = await page(last.id);
    }
    // Ascending order wants the oldest entries after StartingAfter: the scan went newest first.
    const ordered = ascending ? logs.reverse().slice(0, limit) : logs;
    return { logs: ordered };
  },
};
