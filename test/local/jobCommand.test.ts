import { describe, expect, it } from '@jest/globals';
import { valueVariable } from '../../src/api/template.js';
import { jobCommand } from '../../src/local/jobCommand.js';

const context = { partition: 'date=2026-11-18/campaign=7', node: 'Expectation/default/raw|date=2026-11-18/campaign=7', attempt: 2, action: 'raw-abc-2' };
const template = (container: Record<string, unknown>) => ({ spec: { containers: [{ name: 'main', image: 'x', ...container }] } });

describe('jobCommand', () => {
  it('runs command then args, each placeholder substituted as one whole argument', () => {
    const command = jobCommand(template({ command: ['sh', 'bin/fetch.sh'], args: ['{{date}}', 'campaign {{campaign}}'], env: [{ name: 'TARGET', value: 'raw/{{date}}' }] }), { date: '2026-11-18', campaign: '7; rm -rf /' }, context);
    expect(command).toEqual({
      ok: true,
      value: {
        argv: ['sh', 'bin/fetch.sh', '2026-11-18', 'campaign 7; rm -rf /'],
        env: {
          TARGET: 'raw/2026-11-18',
          HOMEOSTAT_VALUE_DATE: '2026-11-18',
          HOMEOSTAT_VALUE_CAMPAIGN: '7; rm -rf /',
          HOMEOSTAT_PARTITION: context.partition,
          HOMEOSTAT_NODE: context.node,
          HOMEOSTAT_ATTEMPT: '2',
          HOMEOSTAT_ACTION: 'raw-abc-2',
        },
      },
    });
  });

  it.each([
    ['no container', { spec: { containers: [] } }, 'the Job template has no container'],
    ['no command (an image alone cannot run locally)', template({ args: ['x'] }), 'in embedded mode the first container needs a command'],
    ['an unknown placeholder', template({ command: ['run', '{{day}}'] }), 'command+args[1]: {{day}} names no value'],
    ['an unknown placeholder in env', template({ command: ['run'], env: [{ name: 'X', value: '{{day}}' }] }), 'env X: {{day}} names no value'],
  ])('refuses %s', (_name, tpl, error) => {
    const command = jobCommand(tpl, { date: '2026-11-18' }, context);
    expect(command.ok).toBe(false);
    expect(command.ok ? '' : command.error).toContain(error);
  });

  it('names value variables in upper case with underscores', () => {
    expect(valueVariable('periodStart')).toBe('HOMEOSTAT_VALUE_PERIODSTART');
    expect(valueVariable('ad-group.id')).toBe('HOMEOSTAT_VALUE_AD_GROUP_ID');
  });
});
