/**
 * Kubernetes label selectors (`kubectl get -l`): `key=value,key!=value,key in (a,b),key notin (c),
 * key,!key,key>1`. The cluster answers them itself (the list call's labelSelector); the embedded
 * mode matches the same selector here, so `homeostat get -l` selects the same objects both ways.
 * Parsing first in both modes makes a typo fail with the same message, naming where it is.
 */

export type Operator = 'exists' | 'notExists' | 'equals' | 'notEquals' | 'in' | 'notIn' | 'greaterThan' | 'lessThan';

export interface Requirement {
  key: string;
  operator: Operator;
  /** Empty for exists and notExists; one value for the comparisons; the set for in and notIn. */
  values: string[];
}

/** A selector that does not parse: what is wrong and at which character (from 1). */
export class LabelSelectorError extends Error {
  constructor(readonly selector: string, readonly position: number, readonly problem: string) {
    super(`label selector "${selector}": at character ${position}: ${problem}`);
    this.name = 'LabelSelectorError';
  }
}

// A label name: 63 characters at most, alphanumeric at both ends, `-_.` inside. Values alike, or empty.
const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
// The optional prefix of a key: a DNS subdomain.
const PREFIX = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

type Token = { kind: 'word'; text: string; at: number } | { kind: 'op'; text: string; at: number } | { kind: 'end'; text: ''; at: number };

/** Splits a selector into words and operators, as the API server's lexer does. */
function tokenize(selector: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < selector.length) {
    const c = selector[i] as string;
    if (/\s/.test(c)) {
      i++;
    } else if (selector.startsWith('==', i) || selector.startsWith('!=', i)) {
      tokens.push({ kind: 'op', text: selector.slice(i, i + 2), at: i + 1 });
      i += 2;
    } else if ('=!(),<>'.includes(c)) {
      tokens.push({ kind: 'op', text: c, at: i + 1 });
      i++;
    } else {
      const start = i;
      while (i < selector.length && !/[\s=!(),<>]/.test(selector[i] as string)) i++;
      tokens.push({ kind: 'word', text: selector.slice(start, i), at: start + 1 });
    }
  }
  tokens.push({ kind: 'end', text: '', at: selector.length + 1 });
  return tokens;
}

/** Parses a selector; the empty selector selects everything. Throws LabelSelectorError. */
export function parseLabelSelector(selector: string): Requirement[] {
  const tokens = tokenize(selector);
  let next = 0;
  const peek = (): Token => tokens[next] as Token;
  const take = (): Token => tokens[next++] as Token;
  const fail = (token: Token, problem: string): never => {
    throw new LabelSelectorError(selector, token.at, problem);
  };
  const shown = (token: Token) => (token.kind === 'end' ? 'the end' : `"${token.text}"`);

  const key = (): string => {
    const token = take();
    if (token.kind !== 'word') fail(token, `expected a label key, found ${shown(token)}`);
    const slash = token.text.lastIndexOf('/');
    const prefix = slash >= 0 ? token.text.slice(0, slash) : undefined;
    const name = token.text.slice(slash + 1);
    if (prefix !== undefined && (prefix.length > 253 || !PREFIX.test(prefix))) fail(token, `the prefix "${prefix}" of key "${token.text}" is not a DNS subdomain (lower case alphanumerics, "-" and ".")`);
    if (!NAME.test(name)) fail(token, `"${name}" is not a valid label name (at most 63 characters: alphanumerics at both ends, "-", "_" or "." between)`);
    return token.text;
  };
  const value = (allowEmpty: boolean): string => {
    const token = peek();
    if (token.kind !== 'word') {
      if (allowEmpty) return '';
      return fail(token, `expected a value, found ${shown(token)}`);
    }
    take();
    if (!NAME.test(token.text)) fail(token, `"${token.text}" is not a valid label value (at most 63 characters: alphanumerics at both ends, "-", "_" or "." between)`);
    return token.text;
  };
  const valueSet = (operator: string): string[] => {
    const open = take();
    if (open.text !== '(') fail(open, `expected "(" after "${operator}", found ${shown(open)}`);
    const values: string[] = [];
    for (;;) {
      values.push(value(true));
      const token = take();
      if (token.text === ')') break;
      if (token.text !== ',') fail(token, `expected "," or ")" in the values of "${operator}", found ${shown(token)}`);
    }
    if (values.length === 1 && values[0] === '') fail(open, `"${operator}" needs at least one value`);
    return values;
  };

  const requirements: Requirement[] = [];
  if (peek().kind === 'end') return requirements;
  for (;;) {
    if (peek().text === '!') {
      take();
      requirements.push({ key: key(), operator: 'notExists', values: [] });
    } else {
      const k = key();
      const op = peek();
      if (op.kind === 'end' || op.text === ',') {
        requirements.push({ key: k, operator: 'exists', values: [] });
      } else if (op.text === '=' || op.text === '==' || op.text === '!=') {
        take();
        requirements.push({ key: k, operator: op.text === '!=' ? 'notEquals' : 'equals', values: [value(true)] });
      } else if (op.text === '>' || op.text === '<') {
        take();
        const token = peek();
        const v = value(false);
        if (!/^-?\d+$/.test(v)) fail(token, `"${op.text}" compares with an integer, not "${v}"`);
        requirements.push({ key: k, operator: op.text === '>' ? 'greaterThan' : 'lessThan', values: [v] });
      } else if (op.kind === 'word' && (op.text === 'in' || op.text === 'notin')) {
        take();
        requirements.push({ key: k, operator: op.text === 'in' ? 'in' : 'notIn', values: valueSet(op.text) });
      } else {
        fail(op, `expected one of "=", "==", "!=", "in", "notin", ">", "<", "," after key "${k}", found ${shown(op)}`);
      }
    }
    const after = take();
    if (after.kind === 'end') return requirements;
    if (after.text !== ',') fail(after, `expected "," between requirements, found ${shown(after)}`);
  }
}

/** Whether labels satisfy every requirement (absent labels: as the API server decides). */
export function matchesLabels(requirements: readonly Requirement[], labels: Readonly<Record<string, string>> | undefined): boolean {
  const all = labels ?? {};
  return requirements.every((r) => {
    const has = Object.hasOwn(all, r.key);
    const value = has ? all[r.key] : undefined;
    switch (r.operator) {
      case 'exists':
        return has;
      case 'notExists':
        return !has;
      case 'equals':
      case 'in':
        return has && r.values.includes(value as string);
      case 'notEquals':
      case 'notIn':
        return !has || !r.values.includes(value as string);
      case 'greaterThan':
      case 'lessThan': {
        if (!has || !/^-?\d+$/.test(value as string)) return false;
        const [a, b] = [Number(value), Number(r.values[0])];
        return r.operator === 'greaterThan' ? a > b : a < b;
      }
    }
  });
}

/** parseLabelSelector for callers that answer with a message (the read API, `homeostat graph`). */
export function tryParseLabelSelector(selector: string): { ok: true; value: Requirement[] } | { ok: false; error: string } {
  try {
    return { ok: true, value: parseLabelSelector(selector) };
  } catch (error) {
    if (error instanceof LabelSelectorError) return { ok: false, error: error.message };
    throw error;
  }
}
