/**
 * Equality- and set-based label selectors as kubectl's `-l` takes them: `a=b,c!=d,e,!f,g in (x,y),
 * h notin (z)`. Parsed once, matched per object. Pure.
 */
export type Requirement =
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | 'notexists' };

export type LabelSelector = Requirement[];

/** The selector, or an error naming the part that could not be read. */
export function parseSelector(text: string): { ok: true; value: LabelSelector } | { ok: false; error: string } {
  const out: LabelSelector = [];
  // Split on commas outside parentheses.
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  for (const raw of parts) {
    const part = raw.trim();
    if (part === '') continue;
    let m: RegExpExecArray | null;
    if ((m = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(part)) !== null) {
      out.push({ key: m[1] as string, op: m[2] as 'in' | 'notin', values: (m[3] as string).split(',').map((v) => v.trim()).filter((v) => v !== '') });
    } else if ((m = /^([\w./-]+)\s*(==|=|!=)\s*([\w./-]*)$/.exec(part)) !== null) {
      out.push({ key: m[1] as string, op: m[2] === '!=' ? 'notin' : 'in', values: [m[3] as string] });
    } else if ((m = /^!\s*([\w./-]+)$/.exec(part)) !== null) {
      out.push({ key: m[1] as string, op: 'notexists' });
    } else if ((m = /^([\w./-]+)$/.exec(part)) !== null) {
      out.push({ key: m[1] as string, op: 'exists' });
    } else {
      return { ok: false, error: `label selector: cannot read ${JSON.stringify(part)} (expected key=value, key!=value, key, !key, key in (a,b) or key notin (a,b))` };
    }
  }
  return { ok: true, value: out };
}

export function matchesSelector(selector: LabelSelector, labels: Record<string, string>): boolean {
  return selector.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(labels, r.key);
    switch (r.op) {
      case 'exists':
        return has;
      case 'notexists':
        return !has;
      case 'in':
        return has && r.values.includes(labels[r.key] as string);
      case 'notin':
        return !has || !r.values.includes(labels[r.key] as string);
    }
  });
}
