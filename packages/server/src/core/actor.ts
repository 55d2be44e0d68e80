/** Who asked for a change, recorded on every event. */
export interface Actor {
  tokenId: number | null;
  ip: string | null;
  /** The surface the request came through: `native`, `cli`, or a dialect's name. */
  via: string;
}

export const systemActor: Actor = { tokenId: null, ip: null, via: 'system' };
