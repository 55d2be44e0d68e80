import type { Actor } from '../access/actor.js';
import type { DomainEvent } from '../model.js';

export type NewEvent = Omit<DomainEvent, 'id'>;

/** Builds an event row from what happened, who did it and when. */
export function newEvent(
  type: string,
  actor: Actor,
  at: Date,
  subject: {
    licenseId?: number | null;
    productId?: number | null;
    machineId?: number | null;
    code?: string | null;
  },
  data: Record<string, unknown> = {},
): NewEvent {
  return {
    type,
    licenseId: subject.licenseId ?? null,
    productId: subject.productId ?? null,
    machineId: subject.machineId ?? null,
    tokenId: actor.tokenId,
    code: subject.code ?? null,
    ip: actor.ip,
    data: { via: actor.via, ...data },
    createdAt: at,
  };
}
