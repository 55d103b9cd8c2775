/** The file operations FTP, FTPS and SFTP share; one implementation per protocol. */
export interface RemoteEntry {
  name: string;
  isFile: boolean;
}

export interface RemoteFs {
  /** `FTP server host:21`, used in messages. */
  readonly description: string;
  ping(): Promise<void>;
  list(dir: string): Promise<RemoteEntry[]>;
  download(path: string, localPath: string): Promise<void>;
  /** Uploads bytes, or the local file at `data` when it is a string (streamed). */
  upload(data: Buffer | string, path: string): Promise<void>;
  /** Renames, replacing an existing target. */
  rename(from: string, to: string): Promise<void>;
  remove(path: string): Promise<void>;
  /** Creates a directory and its parents when missing. */
  mkdirp(dir: string): Promise<void>;
  close(): Promise<void>;
}

/** The connection's `ftp` block (API contract §4.2). */
export interface FtpConnectionBlock {
  hostURI: string;
  port?: number;
  username: string;
  password?: string;
  /** `ftp` (default), `ftps` (explicit TLS) or `sftp`. */
  type?: string;
  /** SFTP: PEM/OpenSSH private key instead of a password. */
  authKey?: string;
  passphrase?: string;
  usePassiveMode?: boolean;
  userDirectoryIsRoot?: boolean;
  /** FTPS: verify the server certificate (default true). */
  rejectUnauthorized?: boolean;
  /** Milliseconds to wait when connecting (default 15000). */
  connectTimeout?: number;
}

/** One operation at a time: an FTP control connection (and our SFTP use) is strictly sequential. */
export function sequential(): <T>(fn: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>) => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => undefined);
    return run;
  };
}

export function message(err: unknown): string {
  if (err instanceof AggregateError && !err.message) return err.errors.map(message).join('; ');
  return err instanceof Error ? err.message || String((err as { code?: unknown }).code ?? err.name) : String(err);
}

/** `ftp://host:21/` or `host` → host name. */
export function hostOf(hostURI: string): string {
  return hostURI.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '').replace(/:\d+$/, '');
}
