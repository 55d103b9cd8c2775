import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small S3-compatible server for tests (node:http, path-style addressing, in memory). It speaks enough of
 * the protocol for the real @aws-sdk/client-s3: ListBuckets, CreateBucket, HeadBucket, ListObjectsV2 (with
 * prefix, max-keys and continuation tokens), PutObject (also aws-chunked uploads), GetObject, HeadObject,
 * DeleteObject and CopyObject. Requests must be signed with the configured access key id (the signature
 * itself is not checked).
 *
 * ```ts
 * const s3 = await startFakeS3();
 * s3.createBucket('inbox');
 * new S3Client({ endpoint: s3.endpoint, forcePathStyle: true, region: 'us-east-1', credentials: s3.credentials });
 * ```
 */
export interface FakeS3 {
  endpoint: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  createBucket(name: string): void;
  putObject(bucket: string, key: string, body: string | Buffer): void;
  getObject(bucket: string, key: string): Buffer | undefined;
  keys(bucket: string): string[];
  /** Empties every bucket (the buckets stay). */
  reset(): void;
  /** `METHOD /path?query` of every request, in order. */
  requests: string[];
  close(): Promise<void>;
}

interface StoredObject {
  body: Buffer;
  etag: string;
  lastModified: Date;
  contentType: string;
}

export async function startFakeS3(options: { accessKeyId?: string; secretAccessKey?: string } = {}): Promise<FakeS3> {
  const credentials = { accessKeyId: options.accessKeyId ?? 'AKIDFAKE', secretAccessKey: options.secretAccessKey ?? 'fake-secret' };
  const buckets = new Map<string, Map<string, StoredObject>>();
  const requests: string[] = [];

  const store = (bucket: string, key: string, body: Buffer, contentType = 'application/octet-stream'): StoredObject => {
    const o = { body, etag: `"${createHash('md5').update(body).digest('hex')}"`, lastModified: new Date(), contentType };
    buckets.get(bucket)!.set(key, o);
    return o;
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => sendError(res, 500, 'InternalError', err.message));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    const body = await readBody(req);

    const auth = String(req.headers.authorization ?? '');
    const keyId = /Credential=([^/]+)\//.exec(auth)?.[1];
    if (keyId !== credentials.accessKeyId) return sendError(res, 403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');

    const [bucketName, ...rest] = url.pathname.slice(1).split('/');
    const bucket = decodeURIComponent(bucketName ?? '');
    const key = rest.map(decodeURIComponent).join('/');

    if (!bucket) {
      if (req.method !== 'GET') return sendError(res, 405, 'MethodNotAllowed', 'Not allowed.');
      const list = [...buckets.keys()].map((b) => `<Bucket><Name>${xml(b)}</Name><CreationDate>2024-01-01T00:00:00.000Z</CreationDate></Bucket>`).join('');
      return sendXml(res, `<ListAllMyBucketsResult><Owner><ID>1</ID><DisplayName>test</DisplayName></Owner><Buckets>${list}</Buckets></ListAllMyBucketsResult>`);
    }
    const objects = buckets.get(bucket);

    if (!key) {
      if (req.method === 'PUT') {
        if (!objects) buckets.set(bucket, new Map());
        res.setHeader('Location', `/${bucket}`);
        return void res.end();
      }
      if (!objects) return sendError(res, 404, 'NoSuchBucket', 'The specified bucket does not exist.', { BucketName: bucket });
      if (req.method === 'HEAD') return void res.end();
      if (req.method === 'GET') return listObjects(res, bucket, objects, url.searchParams);
      return sendError(res, 405, 'MethodNotAllowed', 'Not allowed.');
    }
    if (!objects) return sendError(res, 404, 'NoSuchBucket', 'The specified bucket does not exist.', { BucketName: bucket });

    switch (req.method) {
      case 'PUT': {
        const source = req.headers['x-amz-copy-source'];
        if (typeof source === 'string') {
          const [srcBucket, ...srcKey] = decodeURIComponent(source.replace(/^\//, '').split('?')[0]!).split('/');
          const from = buckets.get(srcBucket!)?.get(srcKey.join('/'));
          if (!from) return sendError(res, 404, 'NoSuchKey', 'The specified key does not exist.', { Key: srcKey.join('/') });
          const copy = store(bucket, key, Buffer.from(from.body), from.contentType);
          return sendXml(res, `<CopyObjectResult><LastModified>${copy.lastModified.toISOString()}</LastModified><ETag>${xml(copy.etag)}</ETag></CopyObjectResult>`);
        }
        const chunked = String(req.headers['x-amz-content-sha256'] ?? '').startsWith('STREAMING-') || String(req.headers['content-encoding'] ?? '').includes('aws-chunked');
        const o = store(bucket, key, chunked ? decodeAwsChunked(body) : body, String(req.headers['content-type'] ?? 'application/octet-stream'));
        res.setHeader('ETag', o.etag);
        return void res.end();
      }
      case 'GET':
      case 'HEAD': {
        const o = objects.get(key);
        if (!o) return sendError(res, 404, 'NoSuchKey', 'The specified key does not exist.', { Key: key }, req.method === 'HEAD');
        res.setHeader('Content-Type', o.contentType);
        res.setHeader('Content-Length', o.body.length);
        res.setHeader('ETag', o.etag);
        res.setHeader('Last-Modified', o.lastModified.toUTCString());
        return void res.end(req.method === 'GET' ? o.body : undefined);
      }
      case 'DELETE':
        objects.delete(key);
        res.statusCode = 204;
        return void res.end();
      default:
        return sendError(res, 405, 'MethodNotAllowed', 'Not allowed.');
    }
  }

  function listObjects(res: ServerResponse, bucket: string, objects: Map<string, StoredObject>, q: URLSearchParams): void {
    const prefix = q.get('prefix') ?? '';
    const maxKeys = Math.min(1000, Number(q.get('max-keys') ?? 1000));
    const after = q.get('continuation-token') ? Buffer.from(q.get('continuation-token')!, 'base64url').toString() : (q.get('start-after') ?? '');
    const all = [...objects.keys()].filter((k) => k.startsWith(prefix) && k > after).sort();
    const page = all.slice(0, maxKeys);
    const truncated = all.length > page.length;
    const contents = page
      .map((k) => {
        const o = objects.get(k)!;
        return `<Contents><Key>${xml(k)}</Key><LastModified>${o.lastModified.toISOString()}</LastModified><ETag>${xml(o.etag)}</ETag><Size>${o.body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
      })
      .join('');
    const next = truncated ? `<NextContinuationToken>${Buffer.from(page.at(-1)!).toString('base64url')}</NextContinuationToken>` : '';
    sendXml(
      res,
      `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${xml(bucket)}</Name><Prefix>${xml(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${maxKeys}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${contents}${next}</ListBucketResult>`,
    );
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    credentials,
    createBucket: (name) => void (buckets.has(name) || buckets.set(name, new Map())),
    putObject: (bucket, key, body) => {
      if (!buckets.has(bucket)) buckets.set(bucket, new Map());
      store(bucket, key, Buffer.from(body));
    },
    getObject: (bucket, key) => buckets.get(bucket)?.get(key)?.body,
    keys: (bucket) => [...(buckets.get(bucket)?.keys() ?? [])].sort(),
    reset: () => {
      for (const objects of buckets.values()) objects.clear();
      requests.length = 0;
    },
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** `aws-chunked` bodies: `<hex size>[;chunk-signature=…]\r\n<data>\r\n` … `0\r\n` then optional trailers. */
function decodeAwsChunked(body: Buffer): Buffer {
  const out: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = body.indexOf('\r\n', at);
    if (eol < 0) break;
    const size = parseInt(body.subarray(at, eol).toString().split(';')[0]!, 16);
    if (!size) break;
    out.push(body.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(out);
}

function xml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function sendXml(res: ServerResponse, body: string): void {
  res.setHeader('Content-Type', 'application/xml');
  res.setHeader('x-amz-request-id', randomBytes(8).toString('hex'));
  res.end(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`);
}

function sendError(res: ServerResponse, status: number, code: string, message: string, extra: Record<string, string> = {}, head = false): void {
  res.statusCode = status;
  if (head) return void res.end();
  const fields = Object.entries(extra).map(([k, v]) => `<${k}>${xml(v)}</${k}>`).join('');
  sendXml(res, `<Error><Code>${code}</Code><Message>${xml(message)}</Message>${fields}<RequestId>1</RequestId></Error>`);
}
