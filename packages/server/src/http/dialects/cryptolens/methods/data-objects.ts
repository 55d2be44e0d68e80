import { type DomainError, isDomainError } from '../../../../core/domain-error.js';
import type { LicenseView } from '../../../../core/licenses/license-view.js';
import type { DataObject, DataObjectOwner, Machine } from '../../../../core/model.js';
import { type Answer, type CallContext, featureLockOf, type MethodSpec } from '../call-context.js';
import { licenseOf, licenseViewOf } from '../lookups.js';
import { fail, MESSAGES } from '../messages.js';
import { INT32_MAX, INT32_MIN } from '../params.js';

const MAX_NAME = 100;
const MAX_STRING_VALUE = 10_000;

/** The three ways a data-object method names what the object hangs on. */
type Variant = 'general' | 'key' | 'machine';

interface Owner {
  ownerType: DataObjectOwner;
  ownerId: number;
}

/** ReferencerType of the general methods: 0 user (account), 1 product, 2 key, 3 machine code. */
const REFERENCER_TYPES: Record<number, DataObjectOwner> = { 1: 'product', 2: 'license', 3: 'machine' };

/** The key variants speak of "permission and/or key" in one message, as the vendor does. */
const KEY_MESSAGES = { denied: MESSAGES.dataObjectAccess, notFound: MESSAGES.dataObjectAccess };
const keyOwner = (ctx: CallContext) => licenseOf(ctx, KEY_MESSAGES);

/** A machine code's live seat on the license: its node-locked seat, else its floating lease. */
function machineOwner(ctx: CallContext, view: LicenseView): Machine {
  const machineCode = ctx.params.string('MachineCode');
  const machine = view.seatHolders.find((m) => m.fingerprint === machineCode);
  if (!machine) return fail(MESSAGES.neverActivated);
  return machine;
}

/** Core checks the caller's locks against an owner; its refusals in the vendor's words. */
async function reachChecked<T>(check: Promise<T>): Promise<T> {
  try {
    return await check;
  } catch (error) {
    if (isDomainError(error) && (error.code === 'FORBIDDEN' || error.code === 'NOT_FOUND')) {
      fail(error.code === 'FORBIDDEN' ? MESSAGES.accessDenied : MESSAGES.invalidInput);
    }
    throw error;
  }
}

/** The owner a method acts on, after the caller's locks were checked against it. */
async function ownerOf(ctx: CallContext, variant: Variant): Promise<Owner> {
  if (variant === 'key') return { ownerType: 'license', ownerId: (await keyOwner(ctx)).license.id };
  if (variant === 'machine') {
    const { view } = await licenseViewOf(ctx, KEY_MESSAGES);
    return { ownerType: 'machine', ownerId: machineOwner(ctx, view).id };
  }
  const ownerType = REFERENCER_TYPES[ctx.params.int('ReferencerType', 0)];
  const ownerId = ctx.params.id('ReferencerId');
  // Account-wide (user) data objects have no owner in Keyward.
  if (!ownerType || ownerId === null) return fail(MESSAGES.invalidInput);
  await reachChecked(ctx.keyward.dataObjects.assertOwnerReach(ctx.principal, ownerType, ownerId));
  return { ownerType, ownerId };
}

/** The object a change names: by Id, or — in the key and machine variants — by Name within the owner. */
async function objectOf(ctx: CallContext, variant: Variant): Promise<DataObject> {
  const id = ctx.params.id('Id');
  if (variant === 'general') {
    if (id === null) return fail(MESSAGES.invalidInput);
    const object = await reachChecked(ctx.keyward.dataObjects.find(ctx.principal, id));
    if (!object) return fail(MESSAGES.dataObjectNotFound);
    return object;
  }
  const owner = await ownerOf(ctx, variant);
  const objects = await ctx.keyward.dataObjects.list(owner.ownerType, owner.ownerId);
  const name = ctx.params.nullableString('Name');
  const object = id !== null ? objects.find((o) => o.id === id) : objects.find((o) => o.name === name);
  if (!object) return fail(MESSAGES.dataObjectNotFound);
  return object;
}

/** Core's conflicts (duplicate name, full owner, bound crossed) keep core's words: the vendor's are unknown. */
async function translated<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isDomainError(error) && error.code === 'CONFLICT') {
      const message = (error as DomainError).message;
      fail(`${message.charAt(0).toUpperCase()}${message.slice(1)}.`);
    }
    throw error;
  }
}

const present = (o: DataObject) => ({
  id: o.id,
  name: o.name,
  stringValue: o.stringValue,
  intValue: o.intValue,
});

function textValue(ctx: CallContext, name: string, maxLength: number): string {
  const value = ctx.params.string(name);
  if (value.length > maxLength) return fail(MESSAGES.invalidInput);
  return value;
}

const add = (variant: Variant): MethodSpec => ({
  scopes: ['data-objects:write'],
  async run(ctx) {
    const owner = await ownerOf(ctx, variant);
    const name = textValue(ctx, 'Name', MAX_NAME);
    if (name === '') return fail(MESSAGES.invalidInput);
    const object = await translated(() =>
      ctx.keyward.dataObjects.create(ctx.actor, {
        ...owner,
        name,
        stringValue: textValue(ctx, 'StringValue', MAX_STRING_VALUE),
        intValue: ctx.params.int('IntValue', 0),
      }),
    );
    return { id: object.id };
  },
});

const list = (variant: Variant): MethodSpec => ({
  scopes: ['data-objects:read'],
  async run(ctx) {
    const owner = await ownerOf(ctx, variant);
    const contains = ctx.params.string('Contains');
    const showAll = variant === 'general' && ctx.params.bool('ShowAll', false);
    const referencerType = { product: 1, license: 2, machine: 3 }[owner.ownerType];
    const objects = (await ctx.keyward.dataObjects.list(owner.ownerType, owner.ownerId)).filter((o) =>
      o.name.includes(contains),
    );
    return {
      dataObjects: objects.map((o) => ({
        ...present(o),
        ...(showAll ? { referencerType, referencerId: o.ownerId } : {}),
      })),
    };
  },
});

const setInt = (variant: Variant): MethodSpec => ({
  scopes: ['data-objects:write'],
  async run(ctx) {
    const object = await objectOf(ctx, variant);
    await translated(() =>
      ctx.keyward.dataObjects.update(ctx.actor, object.id, { intValue: ctx.params.int('IntValue', 0) }),
    );
    return {};
  },
});

const setString = (variant: Variant): MethodSpec => ({
  scopes: ['data-objects:write'],
  async run(ctx) {
    const object = await objectOf(ctx, variant);
    const stringValue = textValue(ctx, 'StringValue', MAX_STRING_VALUE);
    await translated(() => ctx.keyward.dataObjects.update(ctx.actor, object.id, { stringValue }));
    return {};
  },
});

/**
 * Increment/DecrementIntValue: the sign of IntValue is ignored; the value stays a 32-bit integer, and with
 * EnableBound inside Bound (inclusive) — core checks both in the same statement that changes it. A token's
 * feature lock caps the step.
 */
const step = (variant: Variant, direction: 1 | -1): MethodSpec => ({
  scopes: ['data-objects:write'],
  async run(ctx): Promise<Answer> {
    const amount = Math.abs(ctx.params.int('IntValue', 0));
    const cap = featureLockOf(ctx.token);
    if (cap > 0 && amount > cap) return fail(MESSAGES.accessDenied);
    const object = await objectOf(ctx, variant);
    const bound = ctx.params.bool('EnableBound', false) ? ctx.params.int('Bound', 0) : null;
    const bounds =
      direction === 1
        ? { min: INT32_MIN, max: bound ?? INT32_MAX }
        : { min: bound ?? INT32_MIN, max: INT32_MAX };
    await translated(() => ctx.keyward.dataObjects.add(ctx.actor, object.id, direction * amount, bounds));
    return {};
  },
});

const remove = (variant: Variant): MethodSpec => ({
  scopes: ['data-objects:write'],
  async run(ctx) {
    const object = await objectOf(ctx, variant);
    await ctx.keyward.dataObjects.delete(ctx.actor, object.id);
    return {};
  },
});

const SUFFIXES: Record<Variant, string> = { general: '', key: 'tokey', machine: 'tomachinecode' };

/** Every data/ method in its three variants, by lower-case name. */
export const dataObjectMethods: Record<string, MethodSpec> = Object.fromEntries(
  (['general', 'key', 'machine'] as const).flatMap((variant) => {
    const suffix = SUFFIXES[variant];
    return [
      [`data/adddataobject${suffix}`, add(variant)],
      [`data/listdataobjects${suffix}`, list(variant)],
      [`data/setintvalue${suffix}`, setInt(variant)],
      [`data/setstringvalue${suffix}`, setString(variant)],
      [`data/incrementintvalue${suffix}`, step(variant, 1)],
      [`data/decrementintvalue${suffix}`, step(variant, -1)],
      [`data/removedataobject${suffix}`, remove(variant)],
    ];
  }),
);
