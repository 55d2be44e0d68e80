/**
 * Picks up to `limit` of the due deliveries (oldest first) so that endpoints take turns: an endpoint with
 * fewer deliveries in flight (`held`) goes before one with more, every endpoint's first before any
 * endpoint's second, and none beyond `max` in flight. One endpoint's backlog, or a slow endpoint's sends
 * still waiting, then cannot take the slots while another endpoint waits.
 */
export function pickInTurn<T extends { endpointId: number }>(
  due: readonly T[],
  limit: number,
  perEndpoint: { max: number; held: ReadonlyMap<number, number> },
): T[] {
  const taken = new Map<number, number>();
  const ranked: Array<{ item: T; turn: number; order: number }> = [];
  due.forEach((item, order) => {
    const turn = (perEndpoint.held.get(item.endpointId) ?? 0) + (taken.get(item.endpointId) ?? 0);
    if (turn >= perEndpoint.max) return;
    taken.set(item.endpointId, (taken.get(item.endpointId) ?? 0) + 1);
    ranked.push({ item, turn, order });
  });
  return ranked
    .sort((a, b) => a.turn - b.turn || a.order - b.order)
    .slice(0, Math.max(0, limit))
    .map((r) => r.item);
}
