import { isDataType, type DataType } from './convert.js';
import type { MappingIssue } from './errors.js';
import { normalizeLookups, type Lookup } from './lookups.js';
import { insertLeaf, keysOf, newNode, type OutputNode } from './output-tree.js';
import { formatPath, hasWildcard, MAX_GENERATE_INDEX, parsePath, splitAtWildcards, WILDCARD, type Segment } from './path.js';
import { isTemplate, parseTemplate, type TemplatePart } from './template.js';
import { isTimeZone } from './dates.js';

type Key = string | number;

export type SourcePlan =
  | { kind: 'path'; path: Segment[] }
  | { kind: 'template'; parts: TemplatePart[] }
  | { kind: 'hard'; value: unknown }
  | { kind: 'none' };

/** One field rule, parsed and with its aliases resolved. */
export interface FieldPlan {
  at: string;
  /** Where the rule's extract sits, for messages (`…extract` or legacy `…eField`). */
  extractAt: string;
  generate: Key[];
  source: SourcePlan;
  hasDefault: boolean;
  default: unknown;
  lookup: Lookup | undefined;
  dataType: DataType | undefined;
  /** Date conversion, when the rule has extractDateFormat or generateDateFormat. */
  date: DatePlan | undefined;
  /** Leave the target out when the final value is undefined, null or "". */
  discardIfEmpty: boolean;
  /** `conditional.when`, when it changes anything (record_created, record_updated, ignore_if_set do not). */
  when: 'extract_not_empty' | 'lookup_not_empty' | 'lookup_empty' | undefined;
}

export interface DatePlan {
  extractFormat: string | undefined;
  extractZone: string | undefined;
  generateFormat: string | undefined;
  generateZone: string | undefined;
}

export const CONDITIONS = ['record_created', 'record_updated', 'extract_not_empty', 'lookup_not_empty', 'lookup_empty', 'ignore_if_set'] as const;

export interface ListPlan {
  at: string;
  generate: Key[];
  fields: FieldPlan[];
  tree: OutputNode<FieldPlan>;
  /** The arrays a row iterates, outermost first: `a[*].b[*].c` -> [[a], [b]]; empty for one row. */
  chain: Key[][];
}

export type Leaf = { field: FieldPlan } | { list: ListPlan };

export interface MappingPlan {
  fields: FieldPlan[];
  lists: ListPlan[];
  tree: OutputNode<Leaf>;
  lookups: Map<string, Lookup>;
  issues: MappingIssue[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses and checks a mapping once; compileMapping builds from the plan, validateMapping reports its issues. */
/** The most array elements the generate paths of one mapping may create in all (see MAX_GENERATE_INDEX for one). */
export const MAX_GENERATED_CELLS = 100_000;

export function planMapping(mapping: unknown, importLookups?: unknown): MappingPlan {
  const issues: MappingIssue[] = [];
  const issue = (field: string, message: string): void => {
    issues.push({ code: 'invalid_field', field, message });
  };
  const plan: MappingPlan = { fields: [], lists: [], tree: newNode(), lookups: new Map(), issues };
  if (mapping !== undefined && mapping !== null && !isObject(mapping)) {
    issue('mapping', 'mapping must be an object');
    plan.lookups = normalizeLookups(undefined, importLookups, issues);
    return plan;
  }
  const m = (mapping ?? {}) as Record<string, unknown>;
  plan.lookups = normalizeLookups(m.lookups, importLookups, issues);

  const rulesAt = (value: unknown, at: string): unknown[] => {
    if (value === undefined || value === null) return [];
    if (Array.isArray(value)) return value;
    issue(at, 'must be an array');
    return [];
  };

  rulesAt(m.fields, 'mapping.fields').forEach((rule, i) => {
    const field = planField(rule, `mapping.fields[${i}]`, plan.lookups, issue);
    if (field === undefined) return;
    plan.fields.push(field);
    const conflict = insertLeaf<Leaf>(plan.tree, field.generate, { field }, `${field.at}`);
    if (conflict) issue(`${field.at}.${generateKey(rule as Record<string, unknown>)}`, conflict);
  });

  // Each generated index makes an array that long: bounded per rule above, and in all here, so a mapping
  // of many `x.<n>.9999` rules cannot turn one record into megabytes.
  const cells = plan.fields.reduce((n, f) => n + f.generate.reduce<number>((c, k) => c + (typeof k === 'number' ? k + 1 : 0), 0), 0);
  if (cells > MAX_GENERATED_CELLS) {
    issue('mapping.fields', `the generate paths make arrays of ${cells} elements in all, more than the ${MAX_GENERATED_CELLS} a mapping may generate`);
  }

  rulesAt(m.lists, 'mapping.lists').forEach((list, i) => {
    const at = `mapping.lists[${i}]`;
    if (!isObject(list)) return issue(at, 'a list rule must be an object');
    const generate = parseGenerate(list, at, issue);
    const fields: FieldPlan[] = [];
    const tree = newNode<FieldPlan>();
    const rules = rulesAt(list.fields, `${at}.fields`);
    if (rules.length === 0) issue(`${at}.fields`, 'a list needs at least one field rule');
    rules.forEach((rule, j) => {
      const field = planField(rule, `${at}.fields[${j}]`, plan.lookups, issue);
      if (field === undefined) return;
      fields.push(field);
      const conflict = insertLeaf(tree, field.generate, field, field.at);
      if (conflict) issue(`${field.at}.${generateKey(rule as Record<string, unknown>)}`, conflict);
    });
    if (generate === undefined) return;
    const listPlan: ListPlan = { at, generate, fields, tree, chain: listChain(fields, issue) };
    plan.lists.push(listPlan);
    const conflict = insertLeaf<Leaf>(plan.tree, generate, { list: listPlan }, at);
    if (conflict) issue(`${at}.${generateKey(list)}`, conflict);
  });
  return plan;
}

type Report = (field: string, message: string) => void;

/** A path as quoted in messages; a very long one is cut short. */
const shown = (text: string): string => `"${text.length > 120 ? `${text.slice(0, 117)}...` : text}"`;

const generateKey = (rule: Record<string, unknown>): string =>
  rule.generate === undefined && rule.gField !== undefined ? 'gField' : 'generate';

function parseGenerate(rule: Record<string, unknown>, at: string, issue: Report): Key[] | undefined {
  const key = generateKey(rule);
  const text = rule[key];
  const field = `${at}.${key}`;
  if (typeof text !== 'string' || text === '') {
    issue(field, text === undefined || text === '' ? 'generate is required' : 'generate must be a string');
    return undefined;
  }
  try {
    const path = parsePath(text);
    if (hasWildcard(path)) {
      issue(field, `generate ${shown(text)} cannot hold [*]; use a list rule to generate arrays`);
      return undefined;
    }
    if (typeof path[0] === 'number') {
      issue(field, `generate ${shown(text)} cannot start with an array index: a record is an object`);
      return undefined;
    }
    const tooLarge = path.find((seg) => typeof seg === 'number' && seg > MAX_GENERATE_INDEX);
    if (tooLarge !== undefined) {
      issue(field, `generate ${shown(text)}: array index ${String(tooLarge)} is above ${MAX_GENERATE_INDEX}, the largest index a mapping may generate`);
      return undefined;
    }
    return keysOf(path);
  } catch (err) {
    issue(field, `generate ${shown(text)}: ${(err as Error).message}`);
    return undefined;
  }
}

function planField(
  rule: unknown,
  at: string,
  lookups: ReadonlyMap<string, Lookup>,
  issue: Report,
): FieldPlan | undefined {
  if (!isObject(rule)) {
    issue(at, 'a field rule must be an object');
    return undefined;
  }
  const generate = parseGenerate(rule, at, issue);

  const extractKey = rule.extract === undefined && rule.eField !== undefined ? 'eField' : 'extract';
  const extract = rule[extractKey];
  let source: SourcePlan = { kind: 'none' };
  if (rule.hardCodedValue !== undefined) {
    source = { kind: 'hard', value: rule.hardCodedValue };
  } else if (typeof extract === 'string' && extract !== '') {
    try {
      source = isTemplate(extract)
        ? { kind: 'template', parts: parseTemplate(extract) }
        : { kind: 'path', path: parsePath(extract) };
    } catch (err) {
      issue(`${at}.${extractKey}`, `extract ${shown(extract)}: ${(err as Error).message}`);
    }
  } else if (extract !== undefined && extract !== null && extract !== '') {
    issue(`${at}.${extractKey}`, 'extract must be a string');
  }

  const lookupKey = rule.lookupName === undefined && rule.lookup !== undefined ? 'lookup' : 'lookupName';
  const lookupName = rule[lookupKey];
  let lookup: Lookup | undefined;
  const noLookup = lookupName === undefined || lookupName === null || lookupName === '';
  if (!noLookup) {
    lookup = typeof lookupName === 'string' ? lookups.get(lookupName) : undefined;
    if (lookup === undefined) issue(`${at}.${lookupKey}`, `unknown lookup "${String(lookupName)}"`);
  }

  let dataType: DataType | undefined;
  const dt = rule.dataType;
  if (isDataType(dt)) dataType = dt;
  else if (dt !== undefined && dt !== null && dt !== '') {
    issue(`${at}.dataType`, `dataType must be one of string, number, boolean (got ${JSON.stringify(dt)})`);
  }

  const text = (key: string, what: string, check?: (v: string) => boolean): string | undefined => {
    const v = rule[key];
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v !== 'string') issue(`${at}.${key}`, `${key} must be a string (got ${JSON.stringify(v)})`);
    else if (check !== undefined && !check(v)) issue(`${at}.${key}`, `${key}: unknown ${what} ${shown(v)}`);
    else return v;
    return undefined;
  };
  const extractFormat = text('extractDateFormat', 'format');
  const generateFormat = text('generateDateFormat', 'format');
  const extractZone = text('extractDateTimezone', 'time zone', isTimeZone);
  const generateZone = text('generateDateTimezone', 'time zone', isTimeZone);
  const date: DatePlan | undefined =
    extractFormat !== undefined || generateFormat !== undefined
      ? { extractFormat, extractZone, generateFormat, generateZone }
      : undefined;

  const discard = rule.discardIfEmpty;
  const discardIfEmpty = discard === true || discard === 'true';
  if (!(discard === undefined || discard === null || discard === '' || discardIfEmpty || discard === false || discard === 'false')) {
    issue(`${at}.discardIfEmpty`, `discardIfEmpty must be true or false (got ${JSON.stringify(discard)})`);
  }

  let when: FieldPlan['when'];
  const cond = rule.conditional;
  if (cond !== undefined && cond !== null) {
    if (!isObject(cond)) issue(`${at}.conditional`, 'conditional must be an object');
    else {
      const w = cond.when;
      if (w !== undefined && w !== null && w !== '') {
        if (typeof w !== 'string' || !(CONDITIONS as readonly string[]).includes(w)) {
          issue(`${at}.conditional.when`, `conditional.when must be one of ${CONDITIONS.join(', ')} (got ${JSON.stringify(w)})`);
        } else if (w === 'extract_not_empty' || w === 'lookup_not_empty' || w === 'lookup_empty') when = w;
      }
      const cl = cond.lookupName;
      const condLookup = cl === undefined || cl === null || cl === '' ? undefined : cl;
      if (condLookup !== undefined && condLookup !== lookupName) {
        // The condition is evaluated with the rule's own lookup; a separate condition lookup is not supported.
        issue(`${at}.conditional.lookupName`, `conditional.lookupName must be the rule's own lookupName (got ${JSON.stringify(condLookup)})`);
      }
      if ((when === 'lookup_not_empty' || when === 'lookup_empty') && noLookup) {
        issue(`${at}.conditional.when`, `conditional.when "${when}" needs the rule to have a lookupName`);
      }
    }
  }

  const hasDefault = rule.default !== undefined;
  const noExtract = extract === undefined || extract === null || extract === '';
  if (source.kind === 'none' && noLookup && !hasDefault && noExtract) {
    issue(`${at}.extract`, 'a rule needs extract, hardCodedValue, lookupName or default');
  }
  if (generate === undefined) return undefined;
  return { at, extractAt: `${at}.${extractKey}`, generate, source, hasDefault, default: rule.default, lookup, dataType, date, discardIfEmpty, when };
}

function pathsOf(source: SourcePlan): Segment[][] {
  if (source.kind === 'path') return [source.path];
  if (source.kind === 'template') return source.parts.filter((p): p is Segment[] => typeof p !== 'string');
  return [];
}

const sameKeys = (a: readonly Key[], b: readonly Key[]): boolean =>
  a.length === b.length && a.every((k, i) => k === b[i]);

const chainText = (chain: readonly Key[][]): string => chain.map((g) => `${formatPath(g)}[*]`).join('.');

/** The arrays a list iterates: the deepest wildcard path; every other must lie on it. */
function listChain(fields: readonly FieldPlan[], issue: Report): Key[][] {
  let chain: Key[][] = [];
  for (const f of fields) {
    for (const p of pathsOf(f.source)) {
      const groups = splitAtWildcards(p).slice(0, -1);
      if (groups.length > chain.length) chain = groups;
    }
  }
  for (const f of fields) {
    for (const p of pathsOf(f.source)) {
      if (!p.includes(WILDCARD)) continue;
      const groups = splitAtWildcards(p).slice(0, -1);
      if (!groups.every((g, i) => sameKeys(g, chain[i] as Key[]))) {
        issue(f.extractAt, `"${formatPath(p)}" iterates ${chainText(groups)} but the list iterates ${chainText(chain)}`);
      }
    }
  }
  return chain;
}
