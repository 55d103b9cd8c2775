import { EventEmitter } from 'node:events';

/** In-process wake-ups so a queued item starts at once instead of at the next poll. */
export const workSignals = new EventEmitter();
export const WORK_ENQUEUED = 'enqueued';
