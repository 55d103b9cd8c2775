/**
 * The catalogue of API error codes. Every 4xx/5xx answer is `{"errors":[{code, message, field?}]}`;
 * services throw ApiError and the envelope plugin renders it.
 */
export const errorCatalogue = {
  unauthorized: { status: 401, message: 'Missing or invalid bearer token.' },
  forbidden: { status: 403, message: 'This token may not access that resource.' },
  not_found: { status: 404, message: 'Not found.' },
  rate_limited: { status: 429, message: 'Too many requests.' },
  invalid_json: { status: 400, message: 'The request body is not valid JSON.' },
  invalid_query: { status: 400, message: 'Invalid query parameters.' },
  invalid_query_params: { status: 400, message: 'Invalid query parameters.' },
  invalid_request_headers: { status: 400, message: 'Missing or inconsistent request headers.' },
  payload_too_large: { status: 413, message: 'The request body is too large.' },
  unsupported_media_type: { status: 415, message: 'Request bodies must be application/json.' },
  invalid_field: { status: 422, message: 'A field has an invalid value.' },
  missing_required_field: { status: 422, message: 'A required field is missing.' },
  flow_disabled: { status: 422, message: 'The flow is disabled.' },
  invalid_user: { status: 422, message: 'We were not able to find any user with the provided email address.' },
  body_too_complex: { status: 422, message: 'The request body is nested too deeply or holds too large an array.' },
  not_retrievable: { status: 422, message: 'Tokens are stored only as hashes and cannot be shown again.' },
  still_referenced: { status: 422, message: 'The resource is still used by another resource.' },
  not_implemented: { status: 501, message: 'Not implemented yet.' },
  internal_error: { status: 500, message: 'Internal server error.' },
} as const;

export type ErrorCode = keyof typeof errorCatalogue;

export interface ErrorItem {
  code: string;
  message: string;
  field?: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly items: ErrorItem[];

  constructor(code: ErrorCode, message?: string, field?: string, options?: { cause?: unknown });
  constructor(items: ErrorItem[], status: number);
  constructor(a: ErrorCode | ErrorItem[], b?: string | number, field?: string, options?: { cause?: unknown }) {
    if (Array.isArray(a)) {
      super(a.map((i) => i.message).join('; '));
      this.items = a;
      this.status = b as number;
    } else {
      const message = (b as string | undefined) ?? errorCatalogue[a].message;
      super(message, options);
      this.items = [{ code: a, message, ...(field ? { field } : {}) }];
      this.status = errorCatalogue[a].status;
    }
    this.name = 'ApiError';
  }
}

export const notFound = (what: string, id?: string) =>
  new ApiError('not_found', id ? `${what} ${id} not found.` : `${what} not found.`);

export const invalidField = (field: string, message: string) => new ApiError('invalid_field', message, field);
