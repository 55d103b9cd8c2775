import { Type } from 'typebox';
import type { ErrorItem } from '../../errors.js';
import { isTimezone, scheduleProblem } from '../../scheduler/cron.js';
import { AnyObject, commonFields, HookRef, Id, Name, resourceSchema } from './common.js';

export const PageGenerator = Type.Object(
  {
    _exportId: Id,
    id: Type.Optional(Type.String()),
    schedule: Type.Optional(Type.String()),
    skipRetries: Type.Optional(Type.Boolean()),
    setupInProgress: Type.Optional(Type.Boolean()),
    _keepDeltaBehindFlowId: Type.Optional(Id),
    _keepDeltaBehindExportId: Type.Optional(Id),
  },
  { additionalProperties: true },
);

export const PageProcessor = Type.Object(
  {
    type: Type.Union([Type.Literal('import'), Type.Literal('export')]),
    _importId: Type.Optional(Id),
    _exportId: Type.Optional(Id),
    proceedOnFailure: Type.Optional(Type.Boolean()),
    responseMapping: Type.Optional(AnyObject()),
    hooks: Type.Optional(Type.Object({ postResponseMap: Type.Optional(HookRef) }, { additionalProperties: false })),
    setupInProgress: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: true },
);

export const Router = Type.Object(
  {
    id: Type.Optional(Type.String()),
    name: Type.Optional(Type.String()),
    routeRecordsTo: Type.Optional(Type.Union([Type.Literal('first_matching_branch'), Type.Literal('all_matching_branches')])),
    routeRecordsUsing: Type.Optional(Type.Union([Type.Literal('input_filters'), Type.Literal('script')])),
    script: Type.Optional(AnyObject()),
    branches: Type.Optional(
      Type.Array(
        Type.Object(
          {
            name: Type.Optional(Type.String()),
            description: Type.Optional(Type.String()),
            inputFilter: Type.Optional(AnyObject()),
            pageProcessors: Type.Optional(Type.Array(PageProcessor)),
            nextRouterId: Type.Optional(Type.String()),
          },
          { additionalProperties: true },
        ),
      ),
    ),
    nextRouterId: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);

export const FlowSchema = resourceSchema('Flow', {
  name: Name,
  _flowGroupingId: Type.Optional(Id),
  disabled: Type.Optional(Type.Boolean({ default: false })),
  schedule: Type.Optional(Type.String({ description: 'Six cron fields, the first always "?": "? */5 * * * *".' })),
  timezone: Type.Optional(Type.String({ description: 'IANA time zone, e.g. America/Los_Angeles.' })),
  pageGenerators: Type.Optional(Type.Array(PageGenerator)),
  pageProcessors: Type.Optional(Type.Array(PageProcessor)),
  routers: Type.Optional(Type.Array(Router)),
  runPageGeneratorsInParallel: Type.Optional(Type.Boolean()),
  _exportId: Type.Optional(Id),
  _importId: Type.Optional(Id),
  _runNextFlowIds: Type.Optional(Type.Array(Id)),
  skipRetries: Type.Optional(Type.Boolean()),
  autoResolveMatchingTraceKeys: Type.Optional(Type.Boolean()),
  preSave: Type.Optional(AnyObject()),
  aliases: Type.Optional(Type.Array(AnyObject())),
  free: Type.Optional(Type.Boolean()),
  resolvedAt: Type.Optional(Type.String()),
  wizardState: Type.Optional(Type.String()),
  logging: Type.Optional(AnyObject()),
  isAbstract: Type.Optional(Type.Boolean()),
  _abstractFlowId: Type.Optional(Id),
  overrides: Type.Optional(Type.Unknown()),
  ...commonFields,
});

/**
 * Schedules and time zone, checked on every save (spec §7.2): `schedule`, `timezone` (IANA) and each
 * `pageGenerators[i].schedule`, each problem naming its field. An empty schedule means none.
 */
export function checkFlowSchedules(doc: Record<string, unknown>): ErrorItem[] {
  const errors: ErrorItem[] = [];
  const timezone = typeof doc.timezone === 'string' && doc.timezone !== '' ? doc.timezone : undefined;
  if (timezone !== undefined && !isTimezone(timezone)) {
    errors.push({ code: 'invalid_field', field: 'timezone', message: `timezone "${timezone}" is not an IANA time zone (e.g. America/Los_Angeles).` });
  }
  const check = (schedule: unknown, field: string) => {
    if (typeof schedule !== 'string' || schedule.trim() === '') return;
    const problem = scheduleProblem(schedule, timezone);
    if (problem) errors.push({ code: 'invalid_field', field, message: problem });
  };
  check(doc.schedule, 'schedule');
  const generators = Array.isArray(doc.pageGenerators) ? (doc.pageGenerators as unknown[]) : [];
  generators.forEach((g, i) => check(g && typeof g === 'object' ? (g as Record<string, unknown>).schedule : undefined, `pageGenerators[${i}].schedule`));
  return errors;
}
