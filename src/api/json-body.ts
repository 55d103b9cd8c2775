import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { ApiError } from '../errors.js';

export interface JsonBodyLimits {
  /** Deepest nesting of objects and arrays accepted. */
  maxDepth: number;
  /** Most elements in any one array. */
  maxArrayLength: number;
  /** Most keys in any one object. */
  maxObjectKeys: number;
  /** Most values (object members and array elements) in the whole body. */
  maxTotalValues: number;
}

export const defaultJsonBodyLimits: JsonBodyLimits = { maxDepth: 64, maxArrayLength: 50_000, maxObjectKeys: 10_000, maxTotalValues: 250_000 };

/**
 * Measures nesting and array sizes on the raw text, before JSON.parse builds anything: a deeply nested
 * or huge body costs one linear scan and is refused (422 body_too_complex) without exhausting memory.
 */
export function checkJsonShape(text: string, limits: JsonBodyLimits): string | undefined {
  const counts: number[] = [];
  const isArray: boolean[] = [];
  let depth = 0;
  let total = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
      continue;
    }
    if (c === 34) {
      inString = true;
    } else if (c === 91 || c === 123) {
      depth++;
      if (depth > limits.maxDepth) return `The body is nested deeper than ${limits.maxDepth} levels.`;
      isArray[depth] = c === 91;
      counts[depth] = 0;
    } else if (c === 93 || c === 125) {
      depth--;
    } else if (c === 44) {
      if (++total >= limits.maxTotalValues) return `The body holds more than ${limits.maxTotalValues} values in all.`;
      if (isArray[depth]) {
        if (++counts[depth]! >= limits.maxArrayLength) return `An array in the body has more than ${limits.maxArrayLength} elements.`;
      } else if (++counts[depth]! >= limits.maxObjectKeys) return `An object in the body has more than ${limits.maxObjectKeys} keys.`;
    }
  }
  return undefined;
}

const protoKey = /"(?:__proto__|\\u005f\\u005fproto\\u005f\\u005f)"\s*:/;
const constructorPrototype = /"constructor"\s*:\s*\{[^}]*"prototype"\s*:/;

/** Escaped spellings (`"\\u005f_proto__"`) slip past the text test; JSON.parse makes them own keys, found here. */
function holdsProtoKey(value: unknown, depth = 0): boolean {
  if (value === null || typeof value !== 'object' || depth > 100) return false;
  if (Array.isArray(value)) return value.some((v) => holdsProtoKey(v, depth + 1));
  for (const key of Object.keys(value)) {
    if (key === '__proto__') return true;
    if (holdsProtoKey((value as Record<string, unknown>)[key], depth + 1)) return true;
  }
  return false;
}

/** The JSON body parser: shape limits first, then JSON.parse; prototype-poisoning keys are refused. */
async function jsonBody(app: FastifyInstance, options: { limits?: Partial<JsonBodyLimits> }) {
  const limits = { ...defaultJsonBodyLimits, ...options.limits };
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = body as string;
    if (text.length === 0) {
      done(new ApiError('invalid_json', 'The body is empty but Content-Type is application/json.'), undefined);
      return;
    }
    const problem = checkJsonShape(text, limits);
    if (problem) {
      done(new ApiError('body_too_complex', problem, '(body)'), undefined);
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      done(new ApiError('invalid_json', `The request body is not valid JSON: ${(err as Error).message}`), undefined);
      return;
    }
    if (protoKey.test(text) || constructorPrototype.test(text) || (text.includes('\\u') && holdsProtoKey(parsed))) {
      done(new ApiError('invalid_json', 'The request body may not hold "__proto__" or "constructor.prototype" keys.'), undefined);
      return;
    }
    done(null, parsed);
  });
}

export default fp(jsonBody, { name: 'json-body' });
