/** What a start function answers when the server cannot be had here: the tests skip (loudly) or, with CI=true, fail. */
export interface Unavailable {
  available: false;
  /** e.g. `S3 (moto)`, `PostgreSQL`. */
  service: string;
  /** Why, in a sentence a developer can act on (what is missing, the script's error). */
  reason: string;
}
