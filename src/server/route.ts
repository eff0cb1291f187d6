/**
 * What every endpoint of the server is made of: routes (a method, an exact path, a handler) and
 * the few ways they answer. No framework: the server has four routes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export type Method = 'GET' | 'POST';

/** One endpoint. GET routes also answer HEAD (Node drops the body). */
export interface Route {
  method: Method;
  /** Matched exactly, without the query string (or as a prefix, with `prefix`). */
  path: string;
  /** Match every path that starts with `path` (the read API's `/api/v1/objects/{kind}/...`). */
  prefix?: boolean;
  /** May throw or reject only on a bug: the server answers 500 and logs it. */
  handle(req: IncomingMessage, res: ServerResponse): void | Promise<void>;
}

/** A short plain-text answer, as Kubernetes' own /healthz and /readyz give. */
export function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...headers }).end(text.endsWith('\n') ? text : `${text}\n`);
}

/** A JSON answer. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers }).end(`${JSON.stringify(body)}\n`);
}

/** A refusal, shaped like a Kubernetes Status: a CamelCase reason and a sentence. */
export interface Problem {
  reason: string;
  message: string;
  /** Field errors (400 Invalid): where and what, like `results[3].state`. */
  errors?: { path: string; message: string }[];
}

export function sendProblem(res: ServerResponse, status: number, problem: Problem, headers: Record<string, string> = {}): void {
  sendJson(res, status, problem, headers);
}
