/** The pure engine: the node model of DESIGN.md section 3. No I/O, no clock. */
export { Engine, type EngineOptions } from './engine.js';
export { emptyWorld, type World } from './compile.js';
export type { ObjectProblem } from './worldCompiler.js';
export { conditionTime, ownerConditions, ownerStatus, overallPhase, type OwnerStatus, transitionTime } from './ownerStatus.js';
export * from './types.js';
export { type LastVerdicts, MAX_NOT_SATISFIED, readRecord, recordVerdicts, restoredSatisfied } from './lastVerdicts.js';
