import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ExportPage, RunContext } from '../adaptor.js';

/** Test helpers: real HTTP servers on 127.0.0.1 with random ports, and a run context. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  at: number;
}

export interface TestServer {
  url: string;
  requests: SeenRequest[];
  server: Server;
  close(): Promise<void>;
}

export type Handler = (req: SeenRequest, res: ServerResponse) => unknown;

export async function startServer(handler: Handler): Promise<TestServer> {
  const requests: SeenRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const seen: SeenRequest = {
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: performance.now(),
      };
      requests.push(seen);
      Promise.resolve(handler(seen, res)).catch((err: Error) => {
        res.statusCode = 599;
        res.end(err.message);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function testContext(overrides: Partial<RunContext> = {}): RunContext {
  return {
    signal: new AbortController().signal,
    log: { info() {}, warn() {} },
    templateData: {},
    currentExportDateTime: new Date().toISOString(),
    ...overrides,
  };
}

export async function collect(pages: AsyncIterable<ExportPage>): Promise<ExportPage[]> {
  const out: ExportPage[] = [];
  for await (const p of pages) out.push(p);
  return out;
}

/** Fast retries for tests. */
export const fastClient = { retry: { baseDelayMs: 5, maxDelayMs: 20 } };

let seq = 0;
/** A connection document with a fresh _id (each test gets its own governor). */
export function connectionDoc(http: Record<string, unknown>): { _id: string; type: string; http: Record<string, unknown> } {
  seq++;
  return { _id: `conn-${process.pid}-${Date.now()}-${seq}`, type: 'http', http };
}
