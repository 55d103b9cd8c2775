import { parsePath, type Segment } from './path.js';

/**
 * Extract templates: `'Issue-{id}: *{name}*'`. Each `{path}` is a dot-notation path (trimmed); `\{`,
 * `\}` and `\\` write a literal brace or backslash. Parsed once; a part is literal text or a path.
 */
export type TemplatePart = string | Segment[];

export class TemplateSyntaxError extends Error {
  override readonly name = 'TemplateSyntaxError';
}

/** An extract is a template when it holds a brace. */
export function isTemplate(extract: string): boolean {
  return extract.includes('{') || extract.includes('}');
}

export function parseTemplate(text: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (ch === '\\' && i + 1 < text.length && '{}\\'.includes(text[i + 1] as string)) {
      literal += text[i + 1];
      i += 2;
      continue;
    }
    if (ch === '}') throw new TemplateSyntaxError(`unbalanced "}" at ${i}`);
    if (ch !== '{') {
      literal += ch;
      i++;
      continue;
    }
    const end = placeholderEnd(text, i);
    const inner = text.slice(i + 1, end).trim();
    if (inner === '') throw new TemplateSyntaxError(`empty placeholder at ${i}`);
    let path: Segment[];
    try {
      path = parsePath(inner);
    } catch (err) {
      throw new TemplateSyntaxError(`placeholder at ${i}: ${(err as Error).message}`, { cause: err });
    }
    if (literal !== '') parts.push(literal);
    literal = '';
    parts.push(path);
    i = end + 1;
  }
  if (literal !== '') parts.push(literal);
  return parts;
}

// Index of the `}` closing the placeholder opened at `start`; quoted bracket keys may hold braces.
function placeholderEnd(text: string, start: number): number {
  let quote = '';
  for (let i = start + 1; i < text.length; i++) {
    const ch = text[i];
    if (quote !== '') {
      if (ch === '\\') i++;
      else if (ch === quote) quote = '';
      continue;
    }
    if ((ch === "'" || ch === '"') && text[i - 1] === '[') quote = ch;
    else if (ch === '}') return i;
    else if (ch === '{') throw new TemplateSyntaxError(`"{" inside a placeholder at ${i}`);
  }
  throw new TemplateSyntaxError(`unbalanced "{" at ${start}`);
}
