/**
 * A relative calendar bound: `today` (midnight, in the calendar's zone) or `now`, optionally minus
 * an ISO-8601 duration. `from: today-P7D` with `to: today` is a rolling window of eight days.
 * Group 1 is the anchor, group 2 the duration.
 */
export const RELATIVE_BOUND = /^(today|now)(?:-(P[0-9WDTHMS.]+))?$/;
