import type { MethodSpec } from '../call-context.js';
import { licenseAnswer, shownLicense } from '../license-reply.js';
import { boundedText, licenseOf, licenseViewOf } from '../lookups.js';

/** Machine codes are opaque; this bound (UTF-8 bytes) only keeps absurd input out of the database. */
const MAX_MACHINE_CODE = 1024;

/** .NET sends OSInfo as JSON {"OSName","OSVersion","Is64Bit"}; the machine keeps its OS name. */
function platformOf(osInfo: string | null): string | null {
  if (osInfo === null) return null;
  try {
    const parsed = JSON.parse(osInfo) as { OSName?: unknown };
    if (typeof parsed?.OSName === 'string') return parsed.OSName.slice(0, 100);
  } catch {
    // Not JSON: keep the text itself.
  }
  return osInfo.slice(0, 100);
}

/**
 * key/Activate: takes (or refreshes) a seat and answers with the license. FloatingTimeInterval > 0 asks for a
 * floating lease of that many seconds, MaxOverdraft for seats beyond the limit; 0 is a node-locked seat.
 * Expiry is the app's to enforce — the signed object carries it — so an expired license still activates;
 * a blocked one does not. Without a seat limit, node-locked machines are not recorded.
 */
export const activate: MethodSpec = {
  scopes: ['machines:write'],
  async run(ctx) {
    const { license, productId } = await licenseOf(ctx);
    const { params } = ctx;
    const machineCode = boundedText(ctx, 'MachineCode', MAX_MACHINE_CODE) ?? '';
    const interval = Math.max(0, params.int('FloatingTimeInterval', 0));
    const result = await ctx.keyward.machines.activateSeat(ctx.actor, license.id, {
      fingerprint: machineCode,
      name: boundedText(ctx, 'FriendlyName', MAX_MACHINE_CODE),
      ip: ctx.ip,
      platform: platformOf(params.nullableString('OSInfo')),
      productId,
      lease:
        interval > 0 ? { seconds: interval, maxOverdraft: Math.max(0, params.int('MaxOverdraft', 0)) } : null,
      isExpiryAdvisory: true,
      recordsUnlimitedMachines: false,
    });
    return licenseAnswer(ctx, await shownLicense(ctx, result.license), {
      productId,
      currentMachine: result.machine,
    });
  },
};

/** key/GetKey: reads the license without touching seats; works on blocked licenses (Block shows it). */
export const getKey: MethodSpec = {
  scopes: ['licenses:validate'],
  async run(ctx) {
    const { view, productId } = await licenseViewOf(ctx);
    const { outcome } = ctx.keyward.validation.validateView(ctx.actor, view, { productId });
    const relations = await ctx.keyward.licenses.relationsOf(ctx.principal, view.license);
    return licenseAnswer(ctx, { view, relations }, { productId, currentMachine: null, outcome });
  },
};

/**
 * key/Deactivate: gives back the machine's node-locked seat (an unknown machine code is an error), or with
 * Floating=true its floating lease (an unknown one is not). Blocked licenses may not deactivate.
 */
export const deactivate: MethodSpec = {
  scopes: ['machines:write'],
  async run(ctx) {
    const { license } = await licenseOf(ctx);
    const isFloating = ctx.params.bool('Floating', false);
    await ctx.keyward.machines.deactivateFingerprint(
      ctx.actor,
      license.id,
      boundedText(ctx, 'MachineCode', MAX_MACHINE_CODE) ?? '',
      { pool: isFloating ? 'floating' : 'node-locked', refuseWhenBlocked: true, allowMissing: isFloating },
    );
    return {};
  },
};
