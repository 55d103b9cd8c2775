import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import SftpClient from 'ssh2-sftp-client';
import { hostOf, message, sequential, type FtpConnectionBlock, type RemoteFs } from './remote-fs.js';

/** SFTP through ssh2-sftp-client: password or private key (`authKey`). */
export function createSftpClient(block: FtpConnectionBlock): RemoteFs {
  const host = hostOf(block.hostURI);
  const port = Number(block.port ?? 22);
  const description = `SFTP server ${host}:${port}`;
  const serial = sequential();
  let client: SftpClient | undefined;

  async function connected(): Promise<SftpClient> {
    if (client) return client;
    const c = new SftpClient('integrator');
    try {
      await c.connect({
        host,
        port,
        username: block.username,
        ...(block.password ? { password: block.password } : {}),
        ...(block.authKey ? { privateKey: block.authKey, ...(block.passphrase ? { passphrase: block.passphrase } : {}) } : {}),
        readyTimeout: block.connectTimeout ?? 15_000,
      });
    } catch (err) {
      await c.end().catch(() => undefined);
      throw new Error(`connecting to ${description}: ${message(err).replace(/^connect: /, '')}`, { cause: err });
    }
    // A dropped connection is reopened by the next operation.
    c.on('close', () => {
      if (client === c) client = undefined;
    });
    client = c;
    return c;
  }

  const op = <T>(what: string, fn: (c: SftpClient) => Promise<T>): Promise<T> =>
    serial(async () => {
      const c = await connected();
      try {
        return await fn(c);
      } catch (err) {
        throw new Error(`${what} on ${description}: ${message(err)}`, { cause: err });
      }
    });

  return {
    description,
    ping: () => op('reading the home directory', (c) => c.cwd().then(() => undefined)),
    list: (dir) => op(`listing ${dir}`, async (c) => (await c.list(dir)).map((e) => ({ name: e.name, isFile: e.type === '-' }))),
    // Our own write stream, awaited to its close: `get(path, localPath)` can resolve before the local file exists.
    download: (path, local) =>
      op(`downloading ${path}`, async (c) => {
        const out = createWriteStream(local);
        const closed = finished(out);
        await c.get(path, out, { pipeOptions: { end: true } });
        await closed;
      }),
    upload: (data, path) => op(`uploading ${path}`, (c) => c.put(data, path).then(() => undefined)),
    rename: (from, to) =>
      op(`renaming ${from} to ${to}`, async (c) => {
        // SFTP v3 rename refuses an existing target.
        if (await c.exists(to)) await c.delete(to);
        await c.rename(from, to);
      }),
    remove: (path) => op(`deleting ${path}`, (c) => c.delete(path).then(() => undefined)),
    mkdirp: (dir) =>
      op(`creating ${dir}`, async (c) => {
        if (!(await c.exists(dir))) await c.mkdir(dir, true);
      }),
    async close() {
      const c = client;
      client = undefined;
      await c?.end().catch(() => undefined);
    },
  };
}
