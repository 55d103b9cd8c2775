import pg from 'pg';
import { WORK_CHANNEL } from './work-queue.js';

/**
 * PostgreSQL LISTEN for new work: calls `onWork` when any process enqueues. Polling stays the fallback,
 * so a dropped connection only delays work; the listener reconnects after an error.
 */
export async function listenForWork(url: string, onWork: () => void, onError: (err: unknown) => void): Promise<{ close(): Promise<void> }> {
  let client: pg.Client | undefined;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;
  const connect = async () => {
    const c = new pg.Client({ connectionString: url });
    c.on('notification', () => onWork());
    c.on('error', (err) => {
      onError(err);
      void c.end().catch(() => undefined);
      if (!closed) retry = setTimeout(() => void connect().catch(onError), 1000).unref();
    });
    await c.connect();
    await c.query(`LISTEN ${WORK_CHANNEL}`);
    client = c;
    if (closed) await c.end();
  };
  await connect();
  return {
    async close() {
      closed = true;
      clearTimeout(retry);
      await client?.end().catch(() => undefined);
    },
  };
}
