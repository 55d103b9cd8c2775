import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Adaptor, AdaptorSession, Doc, RunContext } from '../adaptors/adaptor.js';

/**
 * A RunContext for an adaptor call made by an API request (preview, ping, invoke): test mode, so
 * nothing is written to the application, and aborted when the client goes away or `timeoutMs` passes.
 */
export function apiRunContext(request: FastifyRequest, reply: FastifyReply, options: { timeoutMs?: number } = {}): RunContext {
  const gone = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) gone.abort(new Error('the client closed the request'));
  });
  const signals = [gone.signal];
  if (options.timeoutMs) signals.push(AbortSignal.timeout(options.timeoutMs));
  const now = new Date().toISOString();
  return {
    signal: signals.length === 1 ? gone.signal : AbortSignal.any(signals),
    log: request.log,
    templateData: { currentExportDateTime: now },
    currentExportDateTime: now,
    testMode: true,
  };
}

/** Opens a session on `connection`, runs `fn`, and always closes the session. */
export async function withSession<T>(adaptor: Adaptor, connection: Doc, fn: (session: AdaptorSession) => Promise<T>): Promise<T> {
  const session = await adaptor.open(connection);
  try {
    return await fn(session);
  } finally {
    await session.close().catch(() => undefined);
  }
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
