import type { FastifyError, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { ApiError, errorCatalogue, type ErrorItem } from '../errors.js';

/**
 * Every 4xx/5xx answer is `{"errors":[{code, message, field?}]}`. Unknown failures are logged and
 * answered with a generic 500: no stack trace or internal message ever reaches a client.
 */
async function errorEnvelope(app: FastifyInstance) {
  app.setErrorHandler((err: FastifyError | ApiError, request, reply) => {
    if (err instanceof ApiError) {
      return reply.status(err.status).send({ errors: err.items });
    }
    const { status, items } = fromFastifyError(err);
    if (status >= 500) request.log.error({ err }, 'unhandled error');
    return reply.status(status).send({ errors: items });
  });

  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send({ errors: [{ code: 'not_found', message: `No route for ${request.method} ${request.url.split('?')[0]}.` }] });
  });
}

function fromFastifyError(err: FastifyError): { status: number; items: ErrorItem[] } {
  const item = (code: keyof typeof errorCatalogue, message?: string, field?: string) => ({
    status: errorCatalogue[code].status,
    items: [{ code, message: message ?? errorCatalogue[code].message, ...(field ? { field } : {}) }],
  });
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return item('payload_too_large', err.message);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return item('unsupported_media_type', `Content-Type must be application/json.`);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return item('invalid_json', 'The body is empty but Content-Type is application/json.');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return item('invalid_json', `The request body is not valid JSON: ${err.message}`);
  }
  if (err.validation && err.validationContext === 'params') {
    // A malformed id names nothing that exists.
    return item('not_found', 'Not found: the id in the path is not a valid 24-character id.');
  }
  if (err.validation) {
    const where = err.validationContext ?? 'request';
    const items = err.validation.map((v) => {
      const field = [where === 'querystring' ? '' : '', v.instancePath.replace(/^\//, '').replace(/\//g, '.')].join('') ||
        String((v.params as { missingProperty?: string }).missingProperty ?? where);
      return { code: where === 'body' ? 'invalid_field' : 'invalid_query', message: `${field} ${v.message ?? 'is invalid'}.`, field };
    });
    return { status: where === 'body' ? 422 : 400, items };
  }
  if (err instanceof SyntaxError || (err.statusCode === 400 && /JSON/i.test(err.message))) {
    return item('invalid_json', `The request body is not valid JSON: ${err.message}`);
  }
  if (err.statusCode === 429) return item('rate_limited', err.message);
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
    return { status: err.statusCode, items: [{ code: 'bad_request', message: err.message }] };
  }
  return item('internal_error');
}

export default fp(errorEnvelope, { name: 'error-envelope' });
