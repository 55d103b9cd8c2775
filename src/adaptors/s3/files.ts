import { CopyObjectCommand, DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { createReadStream, createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { nameMatches, type FileSource } from '../common/files/file-export.js';
import type { FileTarget } from '../common/files/file-import.js';
import { s3Message, type S3Connection } from './client.js';

/** The export's `s3` block (API contract §5.4). */
export interface S3ExportBlock {
  region?: string;
  bucket: string;
  keyStartsWith?: string;
  keyEndsWith?: string;
  /** Folder-like prefix, put before `keyStartsWith`. */
  keyPrefix?: string;
  /** Copy read objects here (same key) after a committed run, then delete them from `bucket`. */
  backupBucket?: string;
  /** Legacy names of keyStartsWith / keyEndsWith. */
  fileNameStartsWith?: string;
  fileNameEndsWith?: string;
}

/** The import's `s3` block (API contract §6.1). */
export interface S3ImportBlock {
  region?: string;
  bucket: string;
  /** Handlebars template of the object key, e.g. `outbound/orders-{{timestamp}}.csv`. */
  fileKey?: string;
}

const CONTENT_TYPES: Record<string, string> = { csv: 'text/csv', json: 'application/json', jsonl: 'application/x-ndjson', xml: 'application/xml', txt: 'text/plain', gz: 'application/gzip' };

export function s3Source(conn: S3Connection, block: S3ExportBlock): FileSource {
  if (!block?.bucket) throw new Error('s3.bucket is missing');
  const client = conn.client(block.region);
  const prefix = (block.keyPrefix ?? '') + (block.keyStartsWith ?? block.fileNameStartsWith ?? '');
  const endsWith = block.keyEndsWith ?? block.fileNameEndsWith;
  const where = (key: string) => `s3://${block.bucket}/${key}`;
  return {
    async list() {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        let page;
        try {
          page = await client.send(new ListObjectsV2Command({ Bucket: block.bucket, Prefix: prefix || undefined, ContinuationToken: token }));
        } catch (err) {
          throw new Error(`listing ${where(prefix)} on ${conn.description}: ${s3Message(err)}`, { cause: err });
        }
        for (const o of page.Contents ?? []) if (o.Key && !o.Key.endsWith('/') && nameMatches(o.Key, undefined, endsWith)) keys.push(o.Key);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return keys.sort().map((key) => ({ name: key, ref: key }));
    },
    async download(file, localPath) {
      try {
        const o = await client.send(new GetObjectCommand({ Bucket: block.bucket, Key: file.ref }));
        if (!o.Body) throw new Error('empty response');
        await pipeline(o.Body as Readable, createWriteStream(localPath));
      } catch (err) {
        throw new Error(`downloading ${where(file.ref)} on ${conn.description}: ${s3Message(err)}`, { cause: err });
      }
    },
    async retire(file) {
      try {
        if (block.backupBucket) {
          const source = `${block.bucket}/${file.ref.split('/').map(encodeURIComponent).join('/')}`;
          await client.send(new CopyObjectCommand({ Bucket: block.backupBucket, Key: file.ref, CopySource: source }));
        }
        await client.send(new DeleteObjectCommand({ Bucket: block.bucket, Key: file.ref }));
      } catch (err) {
        throw new Error(`${block.backupBucket ? `moving ${where(file.ref)} to s3://${block.backupBucket}` : `deleting ${where(file.ref)}`}: ${s3Message(err)}`, { cause: err });
      }
    },
  };
}

export function s3Target(conn: S3Connection, block: S3ImportBlock): FileTarget {
  if (!block?.bucket) throw new Error('s3.bucket is missing');
  const client = conn.client(block.region);
  return {
    async write(key, data) {
      const ext = key.split('.').pop()?.toLowerCase() ?? '';
      // A local file (a run's aggregated file) is streamed with its length, never read into memory.
      const body = Buffer.isBuffer(data) ? { Body: data } : { Body: createReadStream(data.path), ContentLength: data.size };
      try {
        await client.send(new PutObjectCommand({ Bucket: block.bucket, Key: key, ...body, ContentType: CONTENT_TYPES[ext] ?? 'application/octet-stream' }));
      } catch (err) {
        throw new Error(`uploading s3://${block.bucket}/${key} on ${conn.description}: ${s3Message(err)}`, { cause: err });
      }
      return key;
    },
  };
}
