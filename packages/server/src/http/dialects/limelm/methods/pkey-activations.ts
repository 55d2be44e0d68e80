import type { OfflineRequest } from '../../../../core/signing/offline-exchange.js';
import type { MethodContext } from '../context.js';
import { LIMELM_ERRORS, type LimeLmError } from '../errors.js';
import { el } from '../render/node.js';
import type { LimeLmMethod } from './method.js';

/** limelm.pkey.deactivate: the vendor frees a seat; it counts against the key's deactivation limit as natively. */
export const deactivate: LimeLmMethod = {
  scopes: ['machines:write'],
  async run(ctx) {
    const machine = await ctx.activation();
    await ctx.keyward.machines.deactivate(ctx.actor, machine.id);
    return [];
  },
};

/**
 * Reads a Keyward offline request (README, "Offline activation") of the wanted type; anything else is 124.
 * Form decoding turns an unencoded `+` into a space and base64 holds no spaces, so spaces become `+` again.
 */
export function offlineRequest<T extends OfflineRequest['type']>(
  ctx: MethodContext,
  param: string,
  type: T,
  invalid: () => LimeLmError,
): Extract<OfflineRequest, { type: T }> {
  const raw = ctx.params.raw(param);
  if (raw === undefined || raw.trim() === '') throw invalid();
  const request = ctx.keyward.offline.parse(raw.replace(/ /g, '+'));
  if (request.type !== type) throw invalid();
  return request as Extract<OfflineRequest, { type: T }>;
}

/**
 * limelm.pkey.manualActivation: activates the machine named in the request and answers with the signed
 * response in `act_resp_xml@data`, which the app stores. TurboActivate's own request files are not read.
 */
export const manualActivation: LimeLmMethod = {
  scopes: ['machines:write'],
  errors: { badRequest: LIMELM_ERRORS.activationRequestInvalid },
  async run(ctx) {
    const request = offlineRequest(ctx, 'act_req_xml', 'activation', LIMELM_ERRORS.activationRequestInvalid);
    const license = await ctx.licenseByKey(request.key);
    if (!license) throw LIMELM_ERRORS.pkeyNotFound();
    const { response } = await ctx.keyward.offline.activate(ctx.actor, license, request);
    return [el('act_resp_xml', { data: response })];
  },
};

/** limelm.pkey.manualDeactivation: frees the seat of the activation the request names. */
export const manualDeactivation: LimeLmMethod = {
  scopes: ['machines:write'],
  errors: { badRequest: LIMELM_ERRORS.activationRequestInvalid },
  async run(ctx) {
    const request = offlineRequest(
      ctx,
      'deact_req_xml',
      'deactivation',
      LIMELM_ERRORS.activationRequestInvalid,
    );
    const license = await ctx.licenseByKey(request.key);
    if (!license) throw LIMELM_ERRORS.pkeyNotFound();
    await ctx.keyward.offline.deactivate(ctx.actor, license, request);
    return [];
  },
};
