import { describe, expect, it } from 'vitest';
import { KeywardClient } from './client.js';
import { checkOutSeat, type SeatLoss } from './floating-seat.js';
import { createFakeServer } from './test-support/fake-server.js';

const until = async (condition: () => boolean, ms = 3000) => {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

function setup(leaseSeconds = 60) {
  const server = createFakeServer();
  server.behaviour.leaseSeconds = leaseSeconds;
  const client = new KeywardClient({
    url: 'https://licensing.test',
    publicKey: server.publicKeyPem,
    fetch: server.fetch,
    retries: 0,
  });
  return { server, client };
}

describe('FloatingSeat', () => {
  it('checks out, heartbeats with signed confirmations, and releases', async () => {
    const { server, client } = setup();
    let beats = 0;
    const seat = await checkOutSeat(client, 'KEY-F', 'pc-1', {
      heartbeatSeconds: 0.02,
      releaseOnExit: false,
      onHeartbeat: () => beats++,
    });
    expect(seat.isHeld).toBe(true);
    await until(() => beats >= 2);
    const paths = server.calls.map((c) => `${c.method} ${c.path}`);
    expect(paths.slice(0, 2)).toEqual(['POST /v1/machines', 'POST /v1/licenses/actions/validate-key']);
    expect(paths).toContain('POST /v1/machines/1/actions/heartbeat');
    await seat.release();
    await seat.release();
    expect(seat.isHeld).toBe(false);
    expect(server.calls.filter((c) => c.method === 'DELETE')).toHaveLength(1);
    const after = server.calls.length;
    await new Promise((r) => setTimeout(r, 60));
    expect(server.calls.length).toBe(after);
  });

  it('reports a seat taken away on the server', async () => {
    const { server, client } = setup();
    const losses: SeatLoss[] = [];
    const seat = await checkOutSeat(client, 'KEY-F', 'pc-1', {
      heartbeatSeconds: 0.02,
      releaseOnExit: false,
      onLost: (loss) => losses.push(loss),
    });
    await server.fetch('https://licensing.test/v1/machines/1', { method: 'DELETE' });
    await until(() => losses.length > 0);
    expect(losses).toEqual([expect.objectContaining({ code: 'MACHINE_NOT_FOUND' })]);
    expect(seat.isHeld).toBe(false);
  });

  it('rides out network errors within the lease and reports the seat lost after it', async () => {
    const { server, client } = setup(1);
    const losses: SeatLoss[] = [];
    await checkOutSeat(client, 'KEY-F', 'pc-1', {
      heartbeatSeconds: 0.05,
      releaseOnExit: false,
      onLost: (loss) => losses.push(loss),
    });
    server.behaviour.offline = true;
    const offlineAt = Date.now();
    await until(() => losses.length > 0);
    expect(Date.now() - offlineAt).toBeGreaterThanOrEqual(800);
    expect(losses[0]?.code).toBe('LEASE_EXPIRED');
  });

  it('refuses a seat the signed confirmation does not show, and releases on a process signal', async () => {
    const { server, client } = setup();
    server.behaviour.code = 'TOO_MANY_MACHINES';
    await expect(checkOutSeat(client, 'KEY-F', 'pc-1', { releaseOnExit: false })).rejects.toMatchObject({
      code: 'TOO_MANY_MACHINES',
    });
    server.behaviour.code = 'VALID';
    // A listener of the app's own keeps the signal from ending the test process.
    const own = () => undefined;
    process.on('SIGUSR2', own);
    try {
      const seat = await checkOutSeat(client, 'KEY-F', 'pc-2', { signals: ['SIGUSR2'] });
      process.emit('SIGUSR2');
      await until(() => server.calls.some((c) => c.method === 'DELETE'));
      // The signal handler's release is the one release() returns.
      await seat.release();
      expect(server.calls.filter((c) => c.method === 'DELETE')).toHaveLength(1);
      expect(seat.isHeld).toBe(false);
      expect(process.listenerCount('SIGUSR2')).toBe(1);
      expect(process.listenerCount('beforeExit')).toBe(0);
    } finally {
      process.off('SIGUSR2', own);
    }
  });
});
