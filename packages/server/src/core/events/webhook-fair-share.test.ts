import { describe, expect, it } from 'vitest';
import { pickInTurn } from './webhook-fair-share.js';
import { endpointPauseMs } from './webhook-retry.js';

const due = (...endpointIds: number[]) => endpointIds.map((endpointId, id) => ({ id, endpointId }));
const endpointsOf = (picked: Array<{ endpointId: number }>) => picked.map((p) => p.endpointId);

describe('pickInTurn', () => {
  it.each([
    ['oldest first when every endpoint is idle', due(1, 2, 3), 3, 2, {}, [1, 2, 3]],
    ["one endpoint's backlog does not fill the claim", due(1, 1, 1, 1, 2, 3), 3, 2, {}, [1, 2, 3]],
    ['a second each only after a first each', due(1, 1, 2, 2, 3), 5, 2, {}, [1, 2, 3, 1, 2]],
    ['no endpoint past its cap', due(1, 1, 1, 1), 4, 2, {}, [1, 1]],
    ['what an endpoint holds counts against its cap', due(1, 1, 2), 3, 2, { 1: 1 }, [2, 1]],
    ['an endpoint holding less goes first', due(1, 2, 3), 1, 2, { 1: 1, 2: 1 }, [3]],
    ['a full endpoint gets nothing', due(1, 2), 2, 1, { 1: 1 }, [2]],
    ['nothing for no room', due(1, 2), 0, 2, {}, []],
  ])('%s', (_name, items, limit, max, held, expected) => {
    const heldMap = new Map(Object.entries(held).map(([k, v]) => [Number(k), v as number]));
    expect(endpointsOf(pickInTurn(items, limit, { max, held: heldMap }))).toEqual(expected);
  });
});

describe('endpointPauseMs', () => {
  it('pauses 30 s after a timeout, doubling while it keeps timing out, at most 15 min', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 20].map(endpointPauseMs)).toEqual(
      [30, 60, 120, 240, 480, 900, 900, 900].map((s) => s * 1000),
    );
  });
});
