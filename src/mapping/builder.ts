import { compileField, type FieldContext } from './field.js';
import type { DynamicLookup } from './lookups.js';
import type { OutputNode } from './output-tree.js';
import { objectBuilder } from './object-builder.js';
import { compileGetter, elementsOf, type Getter } from './path.js';
import type { FieldPlan, Leaf, ListPlan } from './plan.js';
import { MISSING, NO_ROW, type Cx, type Produce, type Row } from './runtime.js';

type Key = string | number;

/**
 * Compiles an output tree into one producer that builds the document. A branch whose rules all
 * left their targets out is itself left out, as if each rule had written its own path.
 */
function compileNode<L>(node: OutputNode<L>, leaf: (leaf: L) => Produce): Produce {
  const keys: Key[] = [];
  const fns: Produce[] = [];
  for (const [key, child] of node.children) {
    keys.push(key);
    fns.push(child.leaf !== undefined ? leaf(child.leaf) : compileNode(child, leaf));
  }
  const n = keys.length;
  if (node.kind === 'array') {
    return (record, row, cx) => {
      let out: unknown[] | undefined;
      for (let i = 0; i < n; i++) {
        const v = (fns[i] as Produce)(record, row, cx);
        if (v !== MISSING) (out ??= [])[keys[i] as number] = v;
      }
      return out ?? MISSING;
    };
  }
  return objectBuilder(keys as string[], fns);
}

/**
 * A list: one row per element reached through the list's wildcard chain (a lone value counts as one
 * element), built by the list's own rules. No wildcard: a single row. The list is left out when
 * the outermost source array is missing, and is `[]` when it is empty.
 */
function compileList(list: ListPlan, dynamicIndex: (l: DynamicLookup) => number): Produce {
  const ctx: FieldContext = { list: list.generate, dynamicIndex };
  const buildRow = compileNode<FieldPlan>(list.tree, (f) => compileField(f, ctx));
  const rowOf = (record: unknown, row: Row, cx: Cx): unknown => {
    const r = buildRow(record, row, cx);
    return r === MISSING ? {} : r;
  };
  const depth = list.chain.length;
  if (depth === 0) return (record, _row, cx) => [rowOf(record, NO_ROW, cx)];

  const getters: Getter[] = list.chain.map((keys) => compileGetter(keys));
  const head = getters[0] as Getter;
  if (depth === 1) {
    return (record, _row, cx) => {
      const source = head(record);
      if (source === undefined || source === null) return MISSING;
      const elements = elementsOf(source);
      const out: unknown[] = new Array(elements.length);
      const row: unknown[] = [record, undefined];
      for (let i = 0; i < elements.length; i++) {
        row[1] = elements[i];
        cx.rowIndex = i;
        out[i] = rowOf(record, row, cx);
      }
      return out;
    };
  }
  return (record, _row, cx) => {
    const source = head(record);
    if (source === undefined || source === null) return MISSING;
    const out: unknown[] = [];
    const row: unknown[] = new Array(depth + 1);
    row[0] = record;
    const walk = (value: unknown, level: number): void => {
      for (const el of elementsOf(value)) {
        row[level] = el;
        if (level === depth) {
          cx.rowIndex = out.length;
          out.push(rowOf(record, row, cx));
        } else walk((getters[level] as Getter)(el), level + 1);
      }
    };
    walk(source, 1);
    return out;
  };
}

/** The producer of a whole output document; always an object. */
export function compileDocument(tree: OutputNode<Leaf>, dynamicIndex: (l: DynamicLookup) => number): Produce {
  const top: FieldContext = { list: undefined, dynamicIndex };
  const build = compileNode<Leaf>(tree, (leaf) =>
    'field' in leaf ? compileField(leaf.field, top) : compileList(leaf.list, dynamicIndex),
  );
  return (record, row, cx) => {
    const out = build(record, row, cx);
    return out === MISSING ? {} : out;
  };
}
