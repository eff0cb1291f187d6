/**
 * What `kubectl get` prints with: a left-aligned table, the JSONPath subset CRD printer columns
 * use, and the human ages of the AGE column.
 */

/** Rows as kubectl writes them: columns padded to their widest cell, three spaces apart. */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd((widths[i] ?? 0) + 3))).join('').trimEnd() + '\n').join('');
}

/**
 * Evaluates the JSONPath of a printer column: `.a.b`, `.list[0]` and filters like
 * `.status.conditions[?(@.type=="Valid")].status` (the first match). Undefined when absent.
 */
export function jsonPath(root: unknown, path: string): unknown {
  const segments = path.match(/\.[A-Za-z0-9_-]+|\[\d+\]|\[\?\(@\.[A-Za-z0-9_]+\s*==\s*(?:"[^"]*"|'[^']*')\)\]/g) ?? [];
  let value: unknown = root;
  for (const segment of segments) {
    if (value === undefined || value === null) return undefined;
    if (segment.startsWith('.')) {
      value = (value as Record<string, unknown>)[segment.slice(1)];
    } else if (/^\[\d+\]$/.test(segment)) {
      value = Array.isArray(value) ? value[Number(segment.slice(1, -1))] : undefined;
    } else {
      const [, field, quoted] = /^\[\?\(@\.([A-Za-z0-9_]+)\s*==\s*(.+)\)\]$/.exec(segment) as unknown as [string, string, string];
      const wanted = quoted.slice(1, -1);
      value = Array.isArray(value) ? value.find((item) => (item as Record<string, unknown> | null)?.[field] === wanted) : undefined;
    }
  }
  return value;
}

/** Kubernetes' HumanDuration: 45s, 2m30s, 45m, 3h20m, 20h, 3d4h, 30d, 2y10d. */
export function humanAge(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 8) return hours % 24 === 0 ? `${days}d` : `${days}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.floor(days / 365);
  if (hours < 24 * 365 * 8) return days % 365 === 0 ? `${years}y` : `${years}y${days % 365}d`;
  return `${years}y`;
}
