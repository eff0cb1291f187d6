import { describe, expect, it } from '@jest/globals';
import { LabelSelectorError, matchesLabels, parseLabelSelector } from '../../src/api/labelSelector.js';

const select = (selector: string, labels?: Record<string, string>) => matchesLabels(parseLabelSelector(selector), labels);
const problem = (selector: string): string => {
  try {
    parseLabelSelector(selector);
  } catch (error) {
    if (error instanceof LabelSelectorError) return error.message;
    throw error;
  }
  throw new Error(`"${selector}" parsed`);
};

describe('label selectors (-l)', () => {
  it('parses every operator kubectl takes', () => {
    expect(parseLabelSelector('team=ads, tier==gold,env!=dev,region in (eu, us),stage notin (test),owner,!legacy,rank>2,size<10')).toEqual([
      { key: 'team', operator: 'equals', values: ['ads'] },
      { key: 'tier', operator: 'equals', values: ['gold'] },
      { key: 'env', operator: 'notEquals', values: ['dev'] },
      { key: 'region', operator: 'in', values: ['eu', 'us'] },
      { key: 'stage', operator: 'notIn', values: ['test'] },
      { key: 'owner', operator: 'exists', values: [] },
      { key: 'legacy', operator: 'notExists', values: [] },
      { key: 'rank', operator: 'greaterThan', values: ['2'] },
      { key: 'size', operator: 'lessThan', values: ['10'] },
    ]);
    expect(parseLabelSelector('homeostat.dev/dag=enrich')).toEqual([{ key: 'homeostat.dev/dag', operator: 'equals', values: ['enrich'] }]);
    expect(parseLabelSelector('')).toEqual([]);
  });

  it('matches as the API server does: != and notin also select objects without the label', () => {
    const ads = { team: 'ads', region: 'eu' };
    expect(select('team=ads', ads)).toBe(true);
    expect(select('team=ads', {})).toBe(false);
    expect(select('team!=ads', ads)).toBe(false);
    expect(select('team!=ads', {})).toBe(true);
    expect(select('region in (us,eu)', ads)).toBe(true);
    expect(select('region notin (us,eu)', ads)).toBe(false);
    expect(select('region notin (us,eu)', undefined)).toBe(true);
    expect(select('team,!legacy', ads)).toBe(true);
    expect(select('team,region=us', ads)).toBe(false);
    expect(select('rank>2', { rank: '3' })).toBe(true);
    expect(select('rank>2', { rank: 'high' })).toBe(false);
    expect(select('', undefined)).toBe(true);
  });

  it.each([
    ['team in (a,b', 'at character 13: expected "," or ")" in the values of "in", found the end'],
    ['team=ads,,x', 'at character 10: expected a label key, found ","'],
    ['team ads', 'at character 6: expected one of "=", "==", "!=", "in", "notin", ">", "<", "," after key "team", found "ads"'],
    ['team=a b', 'at character 8: expected "," between requirements, found "b"'],
    ['team=-ads', 'at character 6: "-ads" is not a valid label value'],
    ['Homeostat.Dev/dag=x', 'at character 1: the prefix "Homeostat.Dev" of key "Homeostat.Dev/dag" is not a DNS subdomain'],
    ['rank>high', 'at character 6: ">" compares with an integer, not "high"'],
    ['team in ()', 'at character 9: "in" needs at least one value'],
    ['team notin x', 'at character 12: expected "(" after "notin", found "x"'],
  ])('says what is wrong in %j and where', (selector, message) => {
    expect(problem(selector)).toContain(`label selector "${selector}": ${message}`);
  });
});
