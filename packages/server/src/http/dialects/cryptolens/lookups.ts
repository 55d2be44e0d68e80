import type { LicenseWithSeats } from '../../../core/license-ports.js';
import type { License, Machine } from '../../../core/model.js';
import { holdsSeat, isFloatingMachine } from '../../../core/model.js';
import { canAccessLicense, canAccessProduct } from '../../../core/principal.js';
import type { CallContext } from './call-context.js';
import { fail, MESSAGES } from './messages.js';

/**
 * The product a request names, checked in the vendor's order: a token locked to other products is denied
 * before the product's existence is revealed.
 */
export async function productOf(ctx: CallContext, denied: string = MESSAGES.accessDenied): Promise<number> {
  const productId = ctx.params.id('ProductId');
  if (productId === null) return fail(MESSAGES.productNotFound);
  if (!canAccessProduct(ctx.principal, productId)) return fail(denied);
  if (!(await ctx.keyward.store.products.findById(productId))) return fail(MESSAGES.productNotFound);
  return productId;
}

/**
 * The license named by `ProductId` + `Key`. Keys are unique server-wide, but a key is only found under a
 * product it unlocks. A token locked to another key is denied.
 */
export async function licenseOf(
  ctx: CallContext,
  messages: { denied?: string; notFound?: string } = {},
): Promise<{ license: License; productId: number }> {
  const productId = await productOf(ctx, messages.denied);
  const key = keyOf(ctx);
  const license = key === '' ? null : await ctx.keyward.store.licenses.findByKey(key);
  return { license: admitted(ctx, license, productId, messages), productId };
}

/** licenseOf with the license's policy and active machines, read together (one round trip on PostgreSQL). */
export async function licenseAndSeatsOf(
  ctx: CallContext,
): Promise<{ seats: LicenseWithSeats; productId: number }> {
  const productId = await productOf(ctx);
  const key = keyOf(ctx);
  const seats = key === '' ? null : await ctx.keyward.store.licenses.findWithSeats(key);
  admitted(ctx, seats?.license ?? null, productId, {});
  return { seats: seats as LicenseWithSeats, productId };
}

const keyOf = (ctx: CallContext) => ctx.params.string('Key').trim();

function admitted(
  ctx: CallContext,
  license: License | null,
  productId: number,
  messages: { notFound?: string },
): License {
  // A key the token may not reach is, to that token, a key that does not exist.
  if (!license?.productIds.includes(productId) || !canAccessLicense(ctx.principal, license))
    return fail(messages.notFound ?? MESSAGES.keyNotFound);
  return license;
}

/** The machines holding a seat now, node-locked ones first, then floating ones, each in activation order. */
export function orderSeats(machines: Machine[], now: Date): Machine[] {
  const live = machines.filter((m) => holdsSeat(m, now));
  return [
    ...live.filter((m) => !isFloatingMachine(m)).sort((a, b) => a.id - b.id),
    ...live.filter(isFloatingMachine).sort((a, b) => a.id - b.id),
  ];
}

export async function seatHolders(ctx: CallContext, license: License, now: Date): Promise<Machine[]> {
  return orderSeats(await ctx.keyward.store.machines.listActive(license.id), now);
}

/**
 * Text parameters that land in the database: too long means the input was wrong, not a server error. The
 * bound is in UTF-8 bytes, since indexed text (machine codes) must fit PostgreSQL's index rows.
 */
export function boundedText(ctx: CallContext, name: string, maxBytes: number): string | null {
  const value = ctx.params.nullableString(name);
  if (value !== null && Buffer.byteLength(value, 'utf8') > maxBytes) return fail(MESSAGES.invalidInput);
  return value;
}
