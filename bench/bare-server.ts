import { createServer } from 'node:http';

/**
 * The ceiling for an HTTP service on this machine: node:http answering a fixed JSON body of a given size,
 * with no routing, parsing or database. It reads the request body, as a real handler must.
 */
const [port = '0', size = '600'] = process.argv.slice(2);
const filler = Math.max(0, Number(size) - '{"valid":true,"pad":""}'.length);
const body = Buffer.from(JSON.stringify({ valid: true, pad: 'x'.repeat(filler) }));

const server = createServer((request, response) => {
  request.on('data', () => {});
  request.on('end', () => {
    response.writeHead(200, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': body.length,
    });
    response.end(body);
  });
});
server.keepAliveTimeout = 72_000;
server.listen(Number(port), '127.0.0.1', () => process.stdout.write('listening\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
