/**
 * @homeostat/checker-sdk: write a Homeostat state checker in a few lines (README.md).
 *
 * - runChecker: read the request (HOMEOSTAT_REQUEST in a Job, stdin embedded), check each
 *   partition, write the verdict (stdout; in a Job also the compact verdict to the termination log).
 * - checkPartitions, readRequest: the same pieces, for a checker served another way (HTTP).
 * - homeostatToken: the projected token (audience homeostat.dev) a caller sends to the controller.
 * - The protocol's types and limits, and the compact verdict (encode and decode), of which this
 *   package is the one source: the controller imports them from here.
 */
export { type CheckerRun, type CheckFunction, type CheckOutcome, checkPartitions, readRequest, runChecker, type RunCheckerOptions } from './runChecker.js';
export {
  CheckFailure,
  type CheckerPartition,
  type CheckerRequest,
  type CheckerResult,
  type CheckerState,
  type CheckerVerdict,
  MAX_MESSAGE_LENGTH,
  MAX_VERDICT_BYTES,
  type ParsedVerdict,
  parseVerdict,
} from './protocol.js';
export { decodeCompactVerdict, decodeTerminationMessage, type Encoded, encodeCompactVerdict, TERMINATION_MESSAGE_LIMIT } from './compactVerdict.js';
export { integerParam, type Param, requiredParam } from './params.js';
export { HOMEOSTAT_TOKEN_PATH, homeostatToken, TOKEN_AUDIENCE } from './token.js';
