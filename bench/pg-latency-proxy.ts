import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { FrontendMessageCounter } from './pg-frontend-messages.js';
import { nowMs, PreciseTimer } from './precise-timer.js';

/**
 * A TCP proxy between the server and PostgreSQL that puts the database `delayMs` away: every chunk, in either
 * direction, is passed on `delayMs` after it arrived, in the order it arrived. So each round trip costs
 * 2 × delayMs more, as with a database on another host, while loopback stays the only network used. It also
 * reads what the server sends (the frontend protocol) and counts the round trips it begins.
 */
export interface LatencyProxy {
  /** The port on 127.0.0.1 that stands for PostgreSQL. */
  port: number;
  /** Round trips begun through the proxy so far, over all connections (see FrontendMessageCounter). */
  roundTrips(): number;
  /** How long chunks were held on average, in ms, since the last call: `delayMs` and the proxy's lateness. */
  meanHoldMs(): number | null;
  close(): Promise<void>;
}

/** A chunk on its way to `to`; null stands for the end of the stream, which keeps its place too. */
interface InFlight {
  due: number;
  to: Socket;
  chunk: Buffer | null;
}

export async function startLatencyProxy(
  target: { host: string; port: number },
  delayMs: number,
): Promise<LatencyProxy> {
  // Every chunk waits the same time, so one queue in arrival order is also in order of release.
  const queue: InFlight[] = [];
  let head = 0;
  /** The instant the timer is set for; 0 when it is not. */
  let armedAt = 0;
  /**
   * How much before its due time a chunk is passed on: what the proxy learned of its own lateness (waking,
   * and waiting for a busy event loop and for the CPU), so that chunks are held `delayMs` on average.
   */
  let advanceMs = 0;
  let held = { chunks: 0, ms: 0 };
  const pass = ({ due, to, chunk }: InFlight, now: number) => {
    held.chunks++;
    held.ms += now - due + delayMs;
    if (to.destroyed) return;
    if (chunk) to.write(chunk);
    else to.end();
  };
  const release = () => {
    const now = nowMs();
    while (head < queue.length && (queue[head] as InFlight).due - advanceMs <= now) {
      const next = queue[head++] as InFlight;
      const late = now - (next.due - advanceMs);
      advanceMs = Math.min(delayMs / 2, 0.98 * advanceMs + 0.02 * late);
      pass(next, now);
    }
    if (head === queue.length) {
      queue.length = 0;
      head = 0;
      armedAt = 0;
      timer.clear();
      return;
    }
    // Under steady traffic the queue never empties: drop what was passed on, now and then.
    if (head >= 1024) {
      queue.splice(0, head);
      head = 0;
    }
    const at = (queue[head] as InFlight).due - advanceMs;
    if (at !== armedAt) {
      armedAt = at;
      timer.set(at);
    }
  };
  const timer = new PreciseTimer(() => {
    armedAt = 0;
    release();
  });
  const send = (to: Socket, chunk: Buffer | null) => {
    if (delayMs <= 0) return pass({ due: 0, to, chunk }, 0);
    queue.push({ due: nowMs() + delayMs, to, chunk });
    // Traffic wakes the event loop more often than any timer could: pass on what is due meanwhile too.
    release();
  };

  const sockets = new Set<Socket>();
  const counters: FrontendMessageCounter[] = [];
  const server = createServer({ allowHalfOpen: true }, (client) => {
    const upstream = connect({ host: target.host, port: target.port, allowHalfOpen: true });
    const counter = new FrontendMessageCounter();
    counters.push(counter);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.setNoDelay(true);
      socket.on('close', () => sockets.delete(socket));
    }
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('data', (chunk: Buffer) => {
      counter.push(chunk);
      send(upstream, chunk);
    });
    upstream.on('data', (chunk: Buffer) => send(client, chunk));
    client.on('end', () => send(upstream, null));
    upstream.on('end', () => send(client, null));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as { port: number }).port,
    roundTrips: () => counters.reduce((sum, counter) => sum + counter.roundTrips, 0),
    meanHoldMs() {
      const mean = held.chunks > 0 ? held.ms / held.chunks : null;
      held = { chunks: 0, ms: 0 };
      return mean;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((done) => server.close(done));
      await timer.close();
    },
  };
}
