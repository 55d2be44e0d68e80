import { assertMayReachCustomers } from '../../../../core/access/principal.js';
import { isDomainError } from '../../../../core/domain-error.js';
import type { Customer } from '../../../../core/model.js';
import type { Answer, CallContext, MethodSpec } from '../call-context.js';
import { listedLicense, shownLicense, verdictOf } from '../license-reply.js';
import { isoSeconds } from '../linq-sign.js';
import { fail, MESSAGES } from '../messages.js';
import { licenseStatusOf } from '../metadata.js';

const MAX_FIELD = 100;
const MAX_NOTES = 1000;
const MAX_LISTED = 1000;

/**
 * Customers span products: core refuses tokens locked to products or to a key ("Access denied."). Every
 * method asks first, before reading its parameters, as the vendor checks permissions before input.
 */
const assertAccountWide = (ctx: CallContext): void => assertMayReachCustomers(ctx.principal);

function field(ctx: CallContext, name: string, maxLength: number, tooLong: string): string | null {
  const value = ctx.params.nullableString(name);
  if (value !== null && value.length > maxLength) return fail(tooLong);
  return value;
}

const presentCustomer = (c: Customer) => ({
  id: c.id,
  name: c.name,
  email: c.email ?? '',
  companyName: c.company ?? '',
  created: isoSeconds(c.createdAt),
  notes: c.notes ?? null,
});

/**
 * customer/AddCustomer. The customer portal (association, activation management) is not Keyward's, so those
 * flags are accepted and ignored and `portalLink` is null. The secret is shown here once and kept as a hash.
 */
export const addCustomer: MethodSpec = {
  scopes: ['customers:write'],
  async run(ctx) {
    assertAccountWide(ctx);
    const name = field(ctx, 'Name', MAX_FIELD, MESSAGES.customerNameTooLong) ?? '';
    const email = field(ctx, 'Email', MAX_FIELD, MESSAGES.customerEmailTooLong);
    const company = field(ctx, 'CompanyName', MAX_FIELD, MESSAGES.customerCompanyTooLong);
    const notes = field(ctx, 'Notes', MAX_NOTES, MESSAGES.customerNotesTooLong);
    const customer = await ctx.keyward.customers.create(ctx.actor, { name, email, company, notes });
    const secret = await ctx.keyward.customers.issueSecret(ctx.actor, customer.id);
    return { customerId: customer.id, secret, portalLink: null, message: null };
  },
};

/** The customer a read names (customers:read). */
async function customerOf(ctx: CallContext, notFound: string): Promise<Customer> {
  const id = ctx.params.id('CustomerId');
  const customer = id === null ? null : await ctx.keyward.customers.find(ctx.principal, id);
  if (!customer) return fail(notFound);
  return customer;
}

/** The id of the customer a change names, known to exist: the change itself asks its scope. */
async function changedCustomerId(ctx: CallContext): Promise<number> {
  const id = ctx.params.id('CustomerId');
  if (id === null || !(await ctx.keyward.customers.exists(ctx.principal, id)))
    return fail(MESSAGES.customerCouldNotBeFound);
  return id;
}

/** customer/EditCustomer: only the fields sent change; Secret=true issues a new secret and shows it. */
export const editCustomer: MethodSpec = {
  scopes: ['customers:write'],
  async run(ctx) {
    assertAccountWide(ctx);
    const customerId = await changedCustomerId(ctx);
    const name = field(ctx, 'Name', MAX_FIELD, MESSAGES.customerNameTooLong);
    const email = field(ctx, 'Email', MAX_FIELD, MESSAGES.customerEmailTooLong);
    const company = field(ctx, 'CompanyName', MAX_FIELD, MESSAGES.customerCompanyTooLong);
    const notes = field(ctx, 'Notes', MAX_NOTES, MESSAGES.customerNotesTooLong);
    await ctx.keyward.customers.update(ctx.actor, customerId, {
      ...(name !== null ? { name } : {}),
      ...(email !== null ? { email } : {}),
      ...(company !== null ? { company } : {}),
      ...(notes !== null ? { notes } : {}),
    });
    if (!ctx.params.bool('Secret', false)) return { message: null };
    return { secret: await ctx.keyward.customers.issueSecret(ctx.actor, customerId), message: null };
  },
};

export const removeCustomer: MethodSpec = {
  scopes: ['customers:write'],
  async run(ctx) {
    assertAccountWide(ctx);
    await ctx.keyward.customers.delete(ctx.actor, await changedCustomerId(ctx));
    return { message: null };
  },
};

/** customer/GetCustomers: Search matches name, email or company (any case); Limit caps the list. */
export const getCustomers: MethodSpec = {
  scopes: ['customers:read'],
  async run(ctx) {
    assertAccountWide(ctx);
    const id = ctx.params.id('CustomerId');
    if (id !== null) {
      const customer = await ctx.keyward.customers.find(ctx.principal, id);
      return { customers: customer ? [presentCustomer(customer)] : [], message: null };
    }
    const search = ctx.params.string('Search').toLowerCase();
    const requested = ctx.params.int('Limit', 0);
    const limit = requested > 0 ? Math.min(requested, MAX_LISTED) : MAX_LISTED;
    const matches: Customer[] = [];
    let after: number | null = null;
    while (matches.length < limit) {
      const page = await ctx.keyward.customers.list(ctx.principal, { email: null, after, limit: 500 });
      for (const c of page) {
        const text = [c.name, c.email ?? '', c.company ?? ''].join('\n').toLowerCase();
        if (search === '' || text.includes(search)) matches.push(c);
      }
      const last = page[page.length - 1];
      if (page.length < 500 || !last) break;
      after = last.id;
    }
    return { customers: matches.slice(0, limit).map(presentCustomer), message: null };
  },
};

/**
 * Licenses as GetCustomerLicenses lists them: the camelCase license object, unsigned. Without Detailed (and
 * below model version 3) the "basic" object leaves activations and data objects out (null).
 */
async function customerLicenses(ctx: CallContext, customer: Customer): Promise<Answer> {
  const modelVersion = ctx.params.int('ModelVersion', 1) >= 3 ? 3 : 1;
  const isDetailed = modelVersion === 3 || ctx.params.bool('Detailed', false);
  const withMetadata = ctx.params.bool('Metadata', false);
  const keys: unknown[] = [];
  const metadata: unknown[] = [];
  for await (const { license } of ctx.keyward.licenses.eachState(ctx.principal, {
    customerId: customer.id,
  })) {
    const shown = await shownLicense(ctx, license);
    const json = listedLicense(shown, { productId: license.productIds[0] as number, modelVersion });
    keys.push(isDetailed ? json : { ...json, activatedMachines: null, dataObjects: null });
    if (withMetadata) {
      metadata.push({
        activatedMachines: shown.view.seatHolders.length,
        licenseStatus: licenseStatusOf(verdictOf(shown.view), shown.view),
      });
    }
  }
  return { licenseKeys: keys, ...(withMetadata ? { metadata } : {}), message: null };
}

/** customer/GetCustomerLicenses: needs licenses:read as well, since it shows license objects. */
export const getCustomerLicenses: MethodSpec = {
  scopes: ['customers:read', 'licenses:read'],
  async run(ctx) {
    assertAccountWide(ctx);
    return customerLicenses(ctx, await customerOf(ctx, MESSAGES.customerNotFound));
  },
};

/** customer/GetCustomerLicensesBySecret: the customer is found by the secret AddCustomer gave out. */
export const getCustomerLicensesBySecret: MethodSpec = {
  scopes: ['customers:read', 'licenses:read'],
  async run(ctx) {
    assertAccountWide(ctx);
    let customer: Customer;
    try {
      customer = await ctx.keyward.customers.getBySecret(ctx.principal, ctx.params.string('Secret'));
    } catch (error) {
      if (isDomainError(error) && error.code === 'NOT_FOUND') return fail(MESSAGES.customerNotFound);
      throw error;
    }
    return customerLicenses(ctx, customer);
  },
};
