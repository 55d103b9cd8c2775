import { Client, FileType } from 'basic-ftp';
import { Readable } from 'node:stream';
import { hostOf, message, sequential, type FtpConnectionBlock, type RemoteFs } from './remote-fs.js';

/** FTP and explicit FTPS through basic-ftp (passive mode). */
export function createFtpClient(block: FtpConnectionBlock, secure: boolean): RemoteFs {
  const host = hostOf(block.hostURI);
  const port = Number(block.port ?? 21);
  const description = `${secure ? 'FTPS' : 'FTP'} server ${host}:${port}`;
  const timeout = block.connectTimeout ?? 15_000;
  const serial = sequential();
  let client: Client | undefined;

  async function connected(): Promise<Client> {
    if (client && !client.closed) return client;
    const c = new Client(timeout);
    try {
      await c.access({
        host,
        port,
        user: block.username,
        password: block.password ?? '',
        secure,
        secureOptions: secure ? { rejectUnauthorized: block.rejectUnauthorized !== false, servername: host } : undefined,
      });
    } catch (err) {
      c.close();
      throw new Error(`connecting to ${description}: ${message(err)}`, { cause: err });
    }
    client = c;
    return c;
  }

  const op = <T>(what: string, fn: (c: Client) => Promise<T>): Promise<T> =>
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
    ping: () => op('reading the working directory', (c) => c.pwd().then(() => undefined)),
    list: (dir) =>
      op(`listing ${dir}`, async (c) => (await c.list(dir)).map((e) => ({ name: e.name, isFile: e.type === FileType.File || (e.type === FileType.SymbolicLink && e.size > 0) }))),
    download: (path, local) => op(`downloading ${path}`, (c) => c.downloadTo(local, path).then(() => undefined)),
    upload: (data, path) => op(`uploading ${path}`, (c) => c.uploadFrom(typeof data === 'string' ? data : Readable.from([data]), path).then(() => undefined)),
    rename: (from, to) =>
      op(`renaming ${from} to ${to}`, async (c) => {
        try {
          await c.rename(from, to);
        } catch {
          // Some servers refuse to rename over an existing file: remove the target and try once more.
          await c.remove(to, true);
          await c.rename(from, to);
        }
      }),
    remove: (path) => op(`deleting ${path}`, (c) => c.remove(path).then(() => undefined)),
    mkdirp: (dir) =>
      op(`creating ${dir}`, async (c) => {
        const here = await c.pwd();
        await c.ensureDir(dir);
        await c.cd(here);
      }),
    async close() {
      client?.close();
      client = undefined;
    },
  };
}
