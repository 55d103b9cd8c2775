import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LocalServer {
  url: string;
  requests: { method: string; url: string; body: string }[];
  close(): Promise<void>;
}

/** A real HTTP server on a free loopback port; `handler` answers each request. */
export async function startHttpServer(handler: (req: IncomingMessage, body: string, res: ServerResponse) => void): Promise<LocalServer> {
  const requests: LocalServer['requests'] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: req.method ?? 'GET', url: req.url ?? '/', body });
      handler(req, body, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** A paged source API: `total` records `{id, name, price}`, `pageSize` per page, next page in a Link header. */
export function pagedSource(total: number, pageSize: number) {
  return (req: IncomingMessage, _body: string, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const page = Number(url.searchParams.get('page') ?? '1');
    const start = (page - 1) * pageSize;
    const items = Array.from({ length: Math.max(0, Math.min(pageSize, total - start)) }, (_, i) => ({
      id: start + i + 1,
      name: `Item ${start + i + 1}`,
      price: String((start + i + 1) * 1.5),
    }));
    if (start + pageSize < total) res.setHeader('Link', `</items?page=${page + 1}>; rel="next"`);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ items }));
  };
}
