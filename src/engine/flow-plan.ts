import type { Doc } from '../adaptors/adaptor.js';
import type { ResponseMapping } from './response-mapping.js';

export interface GeneratorPlan {
  /** Position among the flow's steps (0 = first generator); also the export child's `oIndex`. */
  oIndex: number;
  exportId: string;
  skipRetries: boolean;
}

export interface ProcessorPlan {
  /** Position in `pageProcessors` (the page's `next_step`). */
  index: number;
  oIndex: number;
  type: 'import' | 'export';
  /** The import, or the export used as a lookup. */
  stepId: string;
  proceedOnFailure: boolean;
  responseMapping?: ResponseMapping;
}

export interface FlowPlan {
  generators: GeneratorPlan[];
  processors: ProcessorPlan[];
  skipRetries: boolean;
}

/**
 * The steps of a flow in run order, from either shape: `pageGenerators[]`/`pageProcessors[]`, or the
 * older single `_exportId`/`_importId` pair.
 */
export function planFlow(flow: Doc): FlowPlan {
  const rawGenerators = Array.isArray(flow.pageGenerators) && flow.pageGenerators.length > 0
    ? (flow.pageGenerators as { _exportId: string; skipRetries?: boolean }[])
    : typeof flow._exportId === 'string' ? [{ _exportId: flow._exportId }] : [];
  const rawProcessors = Array.isArray(flow.pageProcessors) && flow.pageProcessors.length > 0
    ? (flow.pageProcessors as { type?: string; _importId?: string; _exportId?: string; proceedOnFailure?: boolean; responseMapping?: ResponseMapping }[])
    : typeof flow._importId === 'string' ? [{ type: 'import', _importId: flow._importId }] : [];
  const skipRetries = flow.skipRetries === true;
  const generators = rawGenerators.map((g, i) => ({ oIndex: i, exportId: g._exportId, skipRetries: skipRetries || g.skipRetries === true }));
  const processors = rawProcessors.map((p, i): ProcessorPlan => {
    const type = p.type === 'export' || (!p.type && p._exportId && !p._importId) ? 'export' : 'import';
    const stepId = type === 'export' ? p._exportId : p._importId;
    if (!stepId) throw new Error(`page processor ${i}: ${type === 'export' ? '_exportId' : '_importId'} is missing`);
    return {
      index: i,
      oIndex: generators.length + i,
      type,
      stepId,
      proceedOnFailure: p.proceedOnFailure === true,
      ...(p.responseMapping ? { responseMapping: p.responseMapping } : {}),
    };
  });
  return { generators, processors, skipRetries };
}
