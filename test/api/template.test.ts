import { describe, expect, it } from '@jest/globals';
import { placeholders, renderList, renderMap, renderTemplate } from '../../src/api/template.js';

const values = { date: '2026-11-18', campaign: '7', tricky: 'a b; rm -rf / "$(x)"' };

describe('renderTemplate', () => {
  it.each([
    ['a whole value', '{{date}}', '2026-11-18'],
    ['inside a longer string', '--date={{date}}', '--date=2026-11-18'],
    ['several placeholders', 'raw/{{date}}/campaign-{{campaign}}.csv', 'raw/2026-11-18/campaign-7.csv'],
    ['spaces inside the braces', '{{ date }}', '2026-11-18'],
    ['the same placeholder twice', '{{campaign}}-{{campaign}}', '7-7'],
    ['text without placeholders', 'plain text', 'plain text'],
    ['single braces, untouched', '{date}', '{date}'],
    ['shell syntax, as data', '{{tricky}}', 'a b; rm -rf / "$(x)"'],
  ])('substitutes %s', (_name, text, expected) => {
    expect(renderTemplate(text, values)).toEqual({ ok: true, value: expected });
  });

  it('does not substitute the text a value brings in', () => {
    expect(renderTemplate('{{a}}', { a: '{{b}}', b: 'no' })).toEqual({ ok: true, value: '{{b}}' });
  });

  it('reports a placeholder that names no value, and the values it knows', () => {
    expect(renderTemplate('data/{{dat}}', values)).toEqual({ ok: false, error: '{{dat}} names no value (known: campaign, date, tricky)' });
  });

  it('does not take inherited properties for values', () => {
    expect(renderTemplate('{{constructor}}', {}).ok).toBe(false);
  });
});

describe('renderList', () => {
  it('keeps each element one element, whatever the value holds', () => {
    expect(renderList(['fetch', '{{tricky}}', '--campaign', '{{campaign}}'], values)).toEqual({ ok: true, value: ['fetch', 'a b; rm -rf / "$(x)"', '--campaign', '7'] });
  });

  it('names the element at fault', () => {
    expect(renderList(['ok', '{{missing}}'], values, 'args')).toEqual({ ok: false, error: 'args[1]: {{missing}} names no value (known: campaign, date, tricky)' });
  });
});

describe('renderMap', () => {
  it('renders values, never keys', () => {
    expect(renderMap({ '{{date}}': '{{date}}' }, values)).toEqual({ ok: true, value: { '{{date}}': '2026-11-18' } });
  });

  it('names the key at fault', () => {
    expect(renderMap({ path: '{{nope}}' }, values)).toMatchObject({ ok: false, error: expect.stringMatching(/^params\.path: \{\{nope\}\}/) });
  });
});

it('placeholders lists the names used, once each', () => {
  expect(placeholders('{{date}}/{{ campaign }}/{{date}}')).toEqual(['date', 'campaign']);
});
