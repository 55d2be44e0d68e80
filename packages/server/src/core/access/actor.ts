import { operatorPrincipal, type Principal } from './principal.js';

/**
 * Who asked for a change: recorded on every event, and the power core checks before it changes anything.
 * `principal` is null for a caller that presented no credential (an anonymous validation); every access
 * check refuses it.
 */
export interface Actor {
  tokenId: number | null;
  ip: string | null;
  /** The surface the request came through: `native`, `cli`, or a dialect's name. */
  via: string;
  principal: Principal | null;
}

/** The server itself (sweepers, schedulers, start-up): full rights, like the operator at the command line. */
export const systemActor: Actor = { tokenId: null, ip: null, via: 'system', principal: operatorPrincipal };

/** An actor for work the server does on its own behalf, named after what does it. */
export function serverActor(via: string): Actor {
  return { ...systemActor, via };
}
