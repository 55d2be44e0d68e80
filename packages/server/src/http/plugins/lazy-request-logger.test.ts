import { Writable } from 'node:stream';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { lazyRequestLogger } from './lazy-request-logger.js';

/** A server logging at `level` into `lines`, whose parent logger counts the children made from it. */
async function serverLoggingAt(level: string) {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  const app = Fastify({ logger: { level, stream }, childLoggerFactory: lazyRequestLogger });
  let children = 0;
  const child = app.log.child.bind(app.log);
  app.log.child = (...args: Parameters<typeof child>) => {
    children++;
    return child(...args);
  };
  app.get('/quiet', async (request) => {
    request.log.info('a line below the level');
    return 'ok';
  });
  app.get('/loud', async (request) => {
    request.log.warn({ detail: 1 }, 'a line at the level');
    request.log.error('another');
    return 'ok';
  });
  app.get('/fails', async () => {
    throw new Error('boom');
  });
  await app.ready();
  return { app, lines, children: () => children };
}

describe('the request logger made on first use', () => {
  it('makes no child for a request that writes nothing at an enabled level', async () => {
    const { app, lines, children } = await serverLoggingAt('warn');
    const before = children();
    for (let i = 0; i < 3; i++) expect((await app.inject('/quiet')).statusCode).toBe(200);
    expect(children() - before).toBe(0);
    expect(lines).toEqual([]);
    await app.close();
  });

  it("writes a request's lines bound to its id, with one child per request", async () => {
    const { app, lines, children } = await serverLoggingAt('warn');
    const before = children();
    await app.inject('/loud');
    expect(children() - before).toBe(1);
    expect(lines.map((l) => [l.msg, l.level, l.detail])).toEqual([
      ['a line at the level', 40, 1],
      ['another', 50, undefined],
    ]);
    expect(lines[0]?.reqId).toEqual(expect.any(String));
    expect(lines[1]?.reqId).toBe(lines[0]?.reqId);
    await app.close();
  });

  it("logs Fastify's own lines (a failed request) with the request's id", async () => {
    const { app, lines } = await serverLoggingAt('info');
    expect((await app.inject('/fails')).statusCode).toBe(500);
    const failure = lines.find((l) => l.level === 50);
    expect(failure?.reqId).toEqual(expect.any(String));
    expect(lines.filter((l) => l.reqId === failure?.reqId).length).toBeGreaterThan(1);
    await app.close();
  });
});
