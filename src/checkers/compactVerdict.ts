/**
 * The compact verdict of a checker Job's termination message (4 KiB at most). Its one source is
 * the checker SDK (packages/checker-sdk/src/compactVerdict.ts), which encodes it in the checker;
 * the controller decodes it.
 */
export { decodeCompactVerdict, decodeTerminationMessage, encodeCompactVerdict, type Encoded, TERMINATION_MESSAGE_LIMIT } from '@homeostat/checker-sdk';
