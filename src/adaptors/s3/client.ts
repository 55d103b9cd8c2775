import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import type { Doc } from '../adaptor.js';

/** The connection's `s3` block (API contract §4.2). */
export interface S3ConnectionBlock {
  region: string;
  accessKeyId: string;
  secretAccessKey?: string;
  /** S3-compatible storage: custom endpoint, addressed path-style. */
  endpoint?: string;
  /** Milliseconds to wait when connecting (default 15000). */
  connectTimeout?: number;
}

export interface S3Connection {
  readonly block: S3ConnectionBlock;
  readonly description: string;
  /** A client for the region (the connection's by default). */
  client(region?: string): S3Client;
  ping(): Promise<void>;
  close(): void;
}

export function s3Connection(connection: Doc): S3Connection {
  const block = connection.s3 as S3ConnectionBlock | undefined;
  if (!block || typeof block !== 'object') throw new Error('connection has no s3 block');
  const description = block.endpoint ? `S3 at ${block.endpoint}` : `S3 in ${block.region || 'us-east-1'}`;
  const clients = new Map<string, S3Client>();
  const timeout = block.connectTimeout ?? 15_000;

  function client(region = block!.region || 'us-east-1'): S3Client {
    let c = clients.get(region);
    if (!c) {
      c = new S3Client({
        region,
        credentials: { accessKeyId: block!.accessKeyId ?? '', secretAccessKey: block!.secretAccessKey ?? '' },
        ...(block!.endpoint ? { endpoint: block!.endpoint, forcePathStyle: true } : {}),
        // Many S3-compatible stores reject the SDK's newer default checksums; send them only when S3 requires them.
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
        maxAttempts: 3,
        requestHandler: { connectionTimeout: timeout, requestTimeout: Math.max(timeout, 60_000) },
      });
      clients.set(region, c);
    }
    return c;
  }

  return {
    block,
    description,
    client,
    async ping() {
      if (!block.accessKeyId) throw new Error(`connecting to ${description}: s3.accessKeyId is missing`);
      // The connect timeout bounds the whole ping (a server that accepts and never answers, retries included);
      // transfers keep the client's longer request timeout.
      const deadline = AbortSignal.timeout(timeout);
      try {
        await client().send(new ListBucketsCommand({}), { abortSignal: deadline });
      } catch (err) {
        if (deadline.aborted) throw new Error(`connecting to ${description}: no answer within ${timeout} ms`, { cause: err });
        // Credentials limited to some buckets may not list buckets: a signed "access denied" still proves them valid.
        if (errorName(err) === 'AccessDenied') return;
        throw new Error(`connecting to ${description}: ${s3Message(err)}`, { cause: err });
      }
    },
    close() {
      for (const c of clients.values()) c.destroy();
      clients.clear();
    },
  };
}

export function errorName(err: unknown): string {
  return String((err as { name?: unknown; Code?: unknown } | null)?.Code ?? (err as { name?: unknown } | null)?.name ?? '');
}

export function s3Message(err: unknown): string {
  if (err instanceof AggregateError && !err.message) return err.errors.map(s3Message).join('; ');
  const name = errorName(err);
  const msg = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown } | null)?.code;
  const text = msg && msg !== 'UnknownError' ? msg : String(code ?? name ?? 'unknown error');
  return name && name !== 'Error' && !text.includes(name) ? `${name}: ${text}` : text;
}
