import { XMLParser } from 'fast-xml-parser';
import { headerValue, type HttpResponse } from '../common/http-client.js';
import { getPath } from '../common/templates.js';

/** How a response is read and judged: media type, success/failure rules, record extraction. */
export interface SuccessRulesConfig {
  successPath?: string;
  successValues?: unknown[];
  failPath?: string;
  failValues?: unknown[];
  errorPath?: string;
}

export class ResponseFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResponseFormatError';
  }
}

let xmlParser: XMLParser | undefined;

/** Response body as text (UTF-8). */
export function bodyText(res: HttpResponse): string {
  return res.body.toString('utf8');
}

/**
 * Parses a response body by the configured media type (`json` default, `xml`, `plaintext`/`csv`) or,
 * when none is configured, by its Content-Type. An empty body is `undefined`. A body that is not what
 * was expected (HTML from a proxy or login page) throws ResponseFormatError naming what came back.
 */
export function parseBody(res: HttpResponse, mediaType?: string): unknown {
  if (res.body.length === 0) return undefined;
  const contentType = (headerValue(res.headers, 'content-type') ?? '').toLowerCase();
  const kind = (mediaType ?? '').toLowerCase() || (contentType.includes('xml') && !contentType.includes('html') ? 'xml' : 'json');
  if (kind === 'plaintext' || kind === 'csv' || kind === 'text') return bodyText(res);
  if (kind === 'xml') {
    xmlParser ??= new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', parseTagValue: true });
    try {
      return xmlParser.parse(bodyText(res));
    } catch (err) {
      throw new ResponseFormatError(`expected XML but could not parse the response: ${(err as Error).message}`);
    }
  }
  const text = bodyText(res);
  try {
    return JSON.parse(text);
  } catch {
    if (text.trim() === '') return undefined;
    const declared = contentType ? contentType.split(';')[0]!.trim() : '';
    // A body labelled JSON that is not (an HTML error page behind a proxy): say what the body is.
    if (declared === '' || declared.includes('json')) {
      throw new ResponseFormatError(
        `expected JSON but the body is not JSON (it starts with ${snippet(text, 200)})${declared ? `, though labelled ${declared}` : ''} (HTTP ${res.status})`,
      );
    }
    throw new ResponseFormatError(`expected JSON but got ${declared} (HTTP ${res.status}): ${snippet(text, 200)}`);
  }
}

export function snippet(text: string, max: number): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max)}…` : t;
}

/** Compares like the reference: values as strings, `null`/`undefined` as "null"/"". */
export function matches(value: unknown, values: readonly unknown[] | undefined): boolean {
  if (!values || values.length === 0) return false;
  const v = value === undefined ? '' : value === null ? 'null' : typeof value === 'object' ? JSON.stringify(value) : String(value);
  return values.some((x) => (x === null ? 'null' : String(x)) === v);
}

/**
 * Judges a 2xx response with the success/failure rules. Returns undefined when it succeeded, else the
 * error message (from `errorPath`, or a description of the rule that failed).
 */
export function ruleFailure(body: unknown, rules: SuccessRulesConfig | undefined): string | undefined {
  if (!rules) return undefined;
  if (rules.failPath && matches(getPath(body, rules.failPath), rules.failValues)) {
    return errorMessageOf(body, rules) ?? `${rules.failPath} is ${JSON.stringify(getPath(body, rules.failPath))}`;
  }
  if (rules.successPath) {
    const v = getPath(body, rules.successPath);
    const ok = rules.successValues && rules.successValues.length > 0 ? matches(v, rules.successValues) : isTruthy(v);
    if (!ok) return errorMessageOf(body, rules) ?? `${rules.successPath} is ${JSON.stringify(v) ?? 'missing'}`;
  }
  return undefined;
}

function isTruthy(v: unknown): boolean {
  return v !== undefined && v !== null && v !== false && v !== '' && v !== 'false' && v !== 0;
}

export function errorMessageOf(body: unknown, rules: SuccessRulesConfig | undefined): string | undefined {
  if (!rules?.errorPath) return undefined;
  const v = getPath(body, rules.errorPath);
  if (v === undefined || v === null || v === '') return undefined;
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/**
 * Records of a response: the array at `resourcePath` (absent = the body); an object is one record;
 * nothing there is no records. Scalars are wrapped as `{value}`.
 */
export function extractRecords(body: unknown, resourcePath: string | undefined): Record<string, unknown>[] {
  const v = getPath(body, resourcePath);
  if (v === undefined || v === null || v === '') return [];
  const list = Array.isArray(v) ? v : [v];
  const isRecord = (r: unknown) => r !== null && typeof r === 'object' && !Array.isArray(r);
  // The usual case, an array of objects, is used as parsed: no copy of large pages.
  if (list.every(isRecord)) return list as Record<string, unknown>[];
  return list.map((r) => (isRecord(r) ? (r as Record<string, unknown>) : { value: r }));
}
