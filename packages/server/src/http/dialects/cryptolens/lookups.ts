import { isDomainError } from '../../../core/domain-error.js';
import type { LicenseView } from '../../../core/licenses/license-view.js';
import type { License } from '../../../core/model.js';
import type { CallContext } from './call-context.js';
import { fail, MESSAGES } from './messages.js';

/**
 * The product a request names, checked in the vendor's order: core refuses a token locked to other products
 * before the product's existence is revealed.
 */
export async function productOf(ctx: CallContext, denied: string = MESSAGES.accessDenied): Promise<number> {
  const productId = ctx.params.id('ProductId');
  if (productId === null) return fail(MESSAGES.productNotFound);
  const product = await ctx.keyward.catalog
    .findProductOrDeny(ctx.principal, productId)
    .catch((error: unknown) => {
      if (isDomainError(error) && error.code === 'FORBIDDEN') return fail(denied);
      throw error;
    });
  if (!product) return fail(MESSAGES.productNotFound);
  return productId;
}

type KeyMessages = { denied?: string; notFound?: string };

/**
 * The license named by `ProductId` + `Key`. Keys are unique server-wide, but a key is only found under a
 * product it unlocks; core answers a key the token may not reach as one that does not exist.
 */
export async function licenseOf(
  ctx: CallContext,
  messages: KeyMessages = {},
): Promise<{ license: License; productId: number }> {
  const productId = await productOf(ctx, messages.denied);
  const notFound = messages.notFound ?? MESSAGES.keyNotFound;
  const license = await reached(ctx.keyward.licenses.getByExactKey(ctx.principal, keyOf(ctx)), notFound);
  if (!license.productIds.includes(productId)) return fail(notFound);
  return { license, productId };
}

/**
 * licenseOf as the license's view (license-view.ts): its state and seat holders, read together. Like
 * licenseOf it only finds the key; the method's own use case (a validation, a data-object change) asks its
 * scope.
 */
export async function licenseViewOf(
  ctx: CallContext,
  messages: KeyMessages = {},
): Promise<{ view: LicenseView; productId: number }> {
  const productId = await productOf(ctx, messages.denied);
  const notFound = messages.notFound ?? MESSAGES.keyNotFound;
  const view = await ctx.keyward.licenses.findViewByKey(ctx.principal, keyOf(ctx));
  if (!view?.license.productIds.includes(productId)) return fail(notFound);
  return { view, productId };
}

const keyOf = (ctx: CallContext) => ctx.params.string('Key').trim();

async function reached<T>(lookup: Promise<T>, notFound: string): Promise<T> {
  try {
    return await lookup;
  } catch (error) {
    if (isDomainError(error) && error.code === 'LICENSE_NOT_FOUND') return fail(notFound);
    throw error;
  }
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
