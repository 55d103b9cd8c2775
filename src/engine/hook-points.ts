import type { DataRecord } from '../adaptors/adaptor.js';

/**
 * Where user hooks plug into the page pipeline (spec/hooks.md §2). The hook runner is a later piece of
 * work: until it lands every point passes data through unchanged. Each method receives what the hook
 * contract names and returns what the pipeline continues with.
 */
export interface PageHooks {
  /** Export page read, before it is stored for the flow (hooks.md: preSavePage). `abort` stops later pages. */
  preSavePage(exportId: string, records: DataRecord[], pageIndex: number): Promise<{ records: DataRecord[]; abort: boolean }>;
  /** Import: before mapping (preMap). */
  preMap(importId: string, records: DataRecord[]): Promise<DataRecord[]>;
  /** Import: after mapping, before submit (postMap). */
  postMap(importId: string, records: DataRecord[]): Promise<DataRecord[]>;
  /** After response mapping merged a step's answer into the records (postResponseMap). */
  postResponseMap(stepId: string, records: DataRecord[]): Promise<DataRecord[]>;
}

export const noHooks: PageHooks = {
  preSavePage: async (_exportId, records) => ({ records, abort: false }),
  preMap: async (_importId, records) => records,
  postMap: async (_importId, records) => records,
  postResponseMap: async (_stepId, records) => records,
};
