import type { DomainEvent, License, Machine } from '../../../../core/model.js';
import { canAccessLicense, canAccessProduct } from '../../../../core/principal.js';
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
 * newest first unless OrderBy says "Id ascending". A token locked to a key reads only that key's entries.
 */
export const getWebApiLog: MethodSpec = {
  scopes: ['events:read'],
  async run(ctx) {
    const { params, keyward } = ctx;
    const hasKey = params.has('Key');
    const license = hasKey ? (await licenseOf(ctx)).license : null;
    const productId = license ? null : params.has('ProductId') ? await productOf(ctx) : null;
    if (
      !license &&
      (ctx.token.licenseId !== null || (productId === null && ctx.token.productIds.length > 0))
    ) {
      return fail(MESSAGES.accessDenied);
    }
    const requested = params.int('Limit', DEFAULT_LIMIT);
    const limit = requested > 0 ? Math.min(requested, MAX_LIMIT) : DEFAULT_LIMIT;
    const startingAfter = params.int('StartingAfter', 0);
    const endingBefore = params.int('EndingBefore', 0);
    const states = statesOf(ctx);
    const machineCode = params.nullableString('MachineCode');
    const friendlyName = params.nullableString('FriendlyName');
    const ascending = params.string('OrderBy').toLowerCase().includes('ascending');

    const machines = new Map<number, Machine | null>();
    const licenses = new Map<number, License | null>();
    const machineOf = async (id: number | null) => {
      if (id === null) return null;
      if (!machines.has(id)) machines.set(id, await keyward.store.machines.findById(id));
      return machines.get(id) ?? null;
    };
    const licenseById = async (id: number | null) => {
      if (id === null) return null;
      if (!licenses.has(id)) licenses.set(id, await keyward.store.licenses.findById(id));
      return licenses.get(id) ?? null;
    };

    const logs: Array<Record<string, unknown>> = [];
    let before: number | null = endingBefore > 0 ? endingBefore : null;
    scan: for (;;) {
      const events = await keyward.store.events.list(
        {
          ...(license ? { licenseId: license.id } : {}),
          ...(productId !== null ? { productId } : {}),
        },
        { before, limit: BATCH },
      );
      for (const event of events) {
        if (event.id <= startingAfter) break scan;
        const state = stateOf(event);
        if (state === null || (states && !states.has(state))) continue;
        const owner = await licenseById(event.licenseId);
        if (!owner || !canAccessLicense(ctx.principal, owner)) continue;
        if (event.productId !== null && !canAccessProduct(ctx.principal, event.productId)) continue;
        const machine = await machineOf(event.machineId);
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
          state,
          machineCode: code,
          friendlyName: machine?.name ?? null,
          floatingExpires: machine?.leaseExpiresAt ? unixSeconds(machine.leaseExpiresAt) : null,
          doIntValue: typeof event.data.delta === 'number' ? event.data.delta : null,
          doId: typeof event.data.dataObjectId === 'number' ? event.data.dataObjectId : null,
        });
        if (!ascending && logs.length >= limit) break scan;
      }
      const last = events[events.length - 1];
      if (events.length < BATCH || !last) break;
      before = last.id;
    }
    // Ascending order wants the oldest entries after StartingAfter: the scan went newest first.
    const ordered = ascending ? logs.reverse().slice(0, limit) : logs;
    return { logs: ordered };
  },
};
