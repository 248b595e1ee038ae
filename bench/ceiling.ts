// The ceiling: a bare node:http server answering a JSON body of a given size, on the same machine.
import { createServer } from 'node:http';

const size = Number(process.env.BODY_BYTES ?? 2000);
const body = JSON.stringify({ object: 'product', padding: 'x'.repeat(Math.max(0, size - 40)) });
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const a = server.address();
  process.stdout.write(`ceiling listening on ${typeof a === 'object' && a ? a.port : ''}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
