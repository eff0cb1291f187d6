/**
 * `-o json` and `-o yaml`: the objects with their status in a List, as `kubectl get -o json`
 * prints a list (apiVersion v1, kind List, the items, an empty resourceVersion), so scripts written
 * for kubectl read it unchanged.
 */
import { stringify } from 'yaml';
import type { ListedObject } from './columns.js';

export type ListFormat = 'json' | 'yaml';

export function formatList(items: readonly ListedObject[], format: ListFormat): string {
  const list = { apiVersion: 'v1', items, kind: 'List', metadata: { resourceVersion: '' } };
  // kubectl indents JSON by four spaces and ends it with a newline.
  return format === 'json' ? `${JSON.stringify(list, null, 4)}\n` : stringify(list);
}
