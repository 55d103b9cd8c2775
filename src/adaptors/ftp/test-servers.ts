// Real FTP and SFTP servers for the adaptor's tests, in-process on random loopback ports.
import { generateKeyPairSync } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, fstatSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, renameSync, rmdirSync, statSync, unlinkSync, writeSync, type Stats } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { FtpSrv } from 'ftp-srv';
import ssh2 from 'ssh2';

const quiet = { info() {}, debug() {}, trace() {}, warn() {}, error() {}, fatal() {}, child() { return quiet; } };

export interface TestFtpServer {
  port: number;
  close(): Promise<void>;
}

/** ftp-srv serving `root` to `user`/`password`; with `tls`, explicit FTPS (AUTH TLS) with a self-signed certificate. */
export async function startFtpServer(root: string, user: string, password: string, tls = false): Promise<TestFtpServer> {
  const server = new FtpSrv({
    url: 'ftp://127.0.0.1:0',
    pasv_url: '127.0.0.1',
    pasv_min: 30000,
    pasv_max: 60000,
    anonymous: false,
    log: quiet,
    ...(tls ? { tls: selfSignedCertificate() } : {}),
  });
  server.on('login', ({ username, password: given }, resolve, reject) => {
    if (username === user && given === password) resolve({ root });
    else reject(new Error('bad credentials'));
  });
  server.on('client-error', () => undefined);
  await server.listen();
  const port = ((server as unknown as { server: { address(): AddressInfo } }).server.address()).port;
  return { port, close: async () => void (await server.close()) };
}

function selfSignedCertificate(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ftps-cert-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
  return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
}

export function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export interface TestSftpServer {
  port: number;
  close(): Promise<void>;
}

/** A client key pair for key authentication, as PEM (private) for the connection's `authKey`. */
export function generateClientKey(): { privateKey: string } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  return { privateKey };
}

/**
 * ssh2's Server speaking SFTP over `root` (the user's `/`). The host key is generated here. Accepts the
 * password, or the public half of `clientKey`.
 */
export async function startSftpServer(root: string, user: string, password: string, clientKey?: string): Promise<TestSftpServer> {
  const { privateKey: hostKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  const allowed = clientKey ? (ssh2.utils.parseKey(clientKey) as ssh2.ParsedKey) : undefined;
  const server = new ssh2.Server({ hostKeys: [hostKey] }, (client) => {
    client.on('error', () => undefined);
    client.on('authentication', (ctx) => {
      if (ctx.username === user && ctx.method === 'password' && ctx.password === password) return ctx.accept();
      if (ctx.username === user && ctx.method === 'publickey' && allowed && ctx.key.data.equals(allowed.getPublicSSH())) {
        if (!ctx.signature) return ctx.accept(); // the client asks whether this key would do
        if (allowed.verify(ctx.blob!, ctx.signature, ctx.hashAlgo) === true) return ctx.accept();
      }
      ctx.reject(['password', 'publickey']);
    });
    client.on('ready', () => {
      client.on('session', (acceptSession) => {
        const session = acceptSession();
        session.on('sftp', (acceptSftp) => serveSftp(acceptSftp(), root));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function serveSftp(sftp: ssh2.SFTPWrapper, root: string): void {
  const { STATUS_CODE } = ssh2.utils.sftp;
  const handles = new Map<number, { fd?: number; dir?: string; listed?: boolean }>();
  let next = 1;
  const real = (p: string) => join(root, posix.normalize(posix.join('/', p)));
  const handleOf = (h: Buffer) => handles.get(h.readUInt32BE(0));
  const newHandle = (v: { fd?: number; dir?: string }) => {
    const id = next++;
    handles.set(id, v);
    const b = Buffer.alloc(4);
    b.writeUInt32BE(id);
    return b;
  };
  const attrs = (s: Stats) => ({ mode: s.mode, uid: 0, gid: 0, size: s.size, atime: Math.floor(s.atimeMs / 1000), mtime: Math.floor(s.mtimeMs / 1000) });
  const fail = (reqid: number, err: unknown) => {
    const code = (err as NodeJS.ErrnoException).code;
    sftp.status(reqid, code === 'ENOENT' ? STATUS_CODE.NO_SUCH_FILE : code === 'EACCES' ? STATUS_CODE.PERMISSION_DENIED : STATUS_CODE.FAILURE, (err as Error).message);
  };
  const guard = (reqid: number, fn: () => void) => {
    try {
      fn();
    } catch (err) {
      fail(reqid, err);
    }
  };
  const longname = (name: string, s: Stats) => `${s.isDirectory() ? 'd' : '-'}rw-r--r-- 1 user group ${s.size} Jan 1 00:00 ${name}`;

  sftp.on('REALPATH', (reqid, path) => {
    const v = posix.normalize(posix.join('/', path === '.' ? '' : path));
    sftp.name(reqid, [{ filename: v, longname: v, attrs: {} as ssh2.Attributes }]);
  });
  const stat = (reqid: number, path: string) => guard(reqid, () => sftp.attrs(reqid, attrs(statSync(real(path)))));
  sftp.on('STAT', stat);
  sftp.on('LSTAT', stat);
  sftp.on('FSTAT', (reqid, handle) => guard(reqid, () => sftp.attrs(reqid, attrs(fstatSync(handleOf(handle)!.fd!)))));
  sftp.on('OPEN', (reqid, filename, flags) =>
    guard(reqid, () => {
      const mode = ssh2.utils.sftp.flagsToString(flags) ?? 'r';
      sftp.handle(reqid, newHandle({ fd: openSync(real(filename), mode) }));
    }),
  );
  sftp.on('READ', (reqid, handle, offset, length) =>
    guard(reqid, () => {
      const buf = Buffer.alloc(length);
      const n = readSync(handleOf(handle)!.fd!, buf, 0, length, offset);
      if (n === 0) sftp.status(reqid, STATUS_CODE.EOF);
      else sftp.data(reqid, buf.subarray(0, n));
    }),
  );
  sftp.on('WRITE', (reqid, handle, offset, data) =>
    guard(reqid, () => {
      writeSync(handleOf(handle)!.fd!, data, 0, data.length, offset);
      sftp.status(reqid, STATUS_CODE.OK);
    }),
  );
  sftp.on('CLOSE', (reqid, handle) =>
    guard(reqid, () => {
      const h = handleOf(handle);
      if (h?.fd !== undefined) closeSync(h.fd);
      handles.delete(handle.readUInt32BE(0));
      sftp.status(reqid, STATUS_CODE.OK);
    }),
  );
  sftp.on('OPENDIR', (reqid, path) =>
    guard(reqid, () => {
      if (!statSync(real(path)).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOENT' });
      sftp.handle(reqid, newHandle({ dir: real(path) }));
    }),
  );
  sftp.on('READDIR', (reqid, handle) =>
    guard(reqid, () => {
      const h = handleOf(handle)!;
      if (h.listed) return void sftp.status(reqid, STATUS_CODE.EOF);
      h.listed = true;
      const names = readdirSync(h.dir!).map((name) => {
        const s = statSync(join(h.dir!, name));
        return { filename: name, longname: longname(name, s), attrs: attrs(s) };
      });
      if (names.length === 0) sftp.status(reqid, STATUS_CODE.EOF);
      else sftp.name(reqid, names);
    }),
  );
  sftp.on('REMOVE', (reqid, path) => guard(reqid, () => (unlinkSync(real(path)), sftp.status(reqid, STATUS_CODE.OK))));
  sftp.on('RMDIR', (reqid, path) => guard(reqid, () => (rmdirSync(real(path)), sftp.status(reqid, STATUS_CODE.OK))));
  sftp.on('MKDIR', (reqid, path) => guard(reqid, () => (mkdirSync(real(path)), sftp.status(reqid, STATUS_CODE.OK))));
  sftp.on('RENAME', (reqid, from, to) =>
    guard(reqid, () => {
      // SFTP version 3: renaming onto an existing file fails.
      if (existsSync(real(to))) return void sftp.status(reqid, STATUS_CODE.FAILURE, 'target exists');
      renameSync(real(from), real(to));
      sftp.status(reqid, STATUS_CODE.OK);
    }),
  );
  sftp.on('SETSTAT', (reqid) => sftp.status(reqid, STATUS_CODE.OK));
  sftp.on('FSETSTAT', (reqid) => sftp.status(reqid, STATUS_CODE.OK));
}

