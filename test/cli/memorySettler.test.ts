// The memory settler: when it decides to collect (pure samples), and that the collection it runs
// really hands memory back in a Node started as the image starts the controller (--expose-gc).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import pino from 'pino';
import { DEFAULT_SETTLE_POLICY, SettleDecision, startMemorySettler } from '../../src/cli/memorySettler.js';

const MB = 2 ** 20;
const idle = (heapMB: number) => ({ utilization: 0.01, heapBytes: heapMB * MB });
const busy = (heapMB: number) => ({ utilization: 0.9, heapBytes: heapMB * MB });

describe('SettleDecision', () => {
  it('settles once idle for two samples after the heap grew by 32 MB', () => {
    const decision = new SettleDecision(DEFAULT_SETTLE_POLICY, 40 * MB);
    expect(decision.sample(busy(120))).toBe(false);
    expect(decision.sample(busy(180))).toBe(false);
    expect(decision.sample(idle(180))).toBe(false);
    expect(decision.sample(idle(180))).toBe(true);
  });

  it('never settles while the event loop is busy, however much the heap grew', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.double({ min: 0.05, max: 1, noNaN: true }), fc.integer({ min: 0, max: 4_000 })), { maxLength: 50 }), (samples) => {
        const decision = new SettleDecision(DEFAULT_SETTLE_POLICY, 10 * MB);
        return samples.every(([utilization, heapMB]) => !decision.sample({ utilization, heapBytes: heapMB * MB }));
      }),
    );
  });

  it('does not settle an idle process whose heap has not grown', () => {
    const decision = new SettleDecision(DEFAULT_SETTLE_POLICY, 100 * MB);
    for (let i = 0; i < 20; i++) expect(decision.sample(idle(100 + (i % 3) * 10))).toBe(false);
  });

  it('counts growth from the lowest heap seen: V8 shrinking it on its own moves the baseline down', () => {
    const decision = new SettleDecision(DEFAULT_SETTLE_POLICY, 100 * MB);
    expect(decision.sample(busy(60))).toBe(false);
    expect(decision.sample(idle(95))).toBe(false);
    expect(decision.sample(idle(95))).toBe(true); // 35 MB over the low of 60
  });

  it('after a settle, waits for new growth and new idleness', () => {
    const decision = new SettleDecision(DEFAULT_SETTLE_POLICY, 50 * MB);
    decision.sample(idle(150));
    expect(decision.sample(idle(150))).toBe(true);
    decision.settled(70 * MB);
    expect(decision.sample(idle(90))).toBe(false);
    expect(decision.sample(idle(90))).toBe(false);
    expect(decision.sample(busy(110))).toBe(false);
    expect(decision.sample(idle(110))).toBe(false);
    expect(decision.sample(idle(110))).toBe(true);
  });
});

describe('startMemorySettler', () => {
  it('is off, sampling nothing, in a Node without --expose-gc (as jest runs this test)', () => {
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
    const settler = startMemorySettler({ log: pino({ level: 'silent' }) });
    expect(settler.active).toBe(false);
    settler.stop();
  });

  it('hands memory back once a process is idle after a burst (a real Node with --expose-gc)', async () => {
    const script = join(import.meta.dirname, 'fixtures/memoryBurst.ts');
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', script], { cwd: join(import.meta.dirname, '../..'), stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const messages: string[] = [];
      const settled = await new Promise<{ rssMB: [number, number]; heapTotalMB: [number, number] }>((resolve, reject) => {
        let buffered = '';
        child.stdout.on('data', (chunk: Buffer) => {
          buffered += chunk.toString();
          for (const line of buffered.split('\n').slice(0, -1)) {
            const entry = JSON.parse(line) as { msg: string; rssMB: [number, number]; heapTotalMB: [number, number] };
            messages.push(entry.msg);
            if (entry.msg.startsWith('idle after a burst')) resolve(entry);
          }
          buffered = buffered.slice(buffered.lastIndexOf('\n') + 1);
        });
        child.on('exit', (code) => reject(new Error(`the burst process exited (${code}) before settling`)));
      });
      // It said it was on when it started (what `kubectl logs` shows of a controller that settles).
      expect(messages[0]).toMatch(/^memory settler on/);
      // The ~200 MB the burst dropped are no longer resident, in V8's heap and in the process.
      expect(settled.heapTotalMB[0] - settled.heapTotalMB[1]).toBeGreaterThan(100);
      expect(settled.rssMB[0] - settled.rssMB[1]).toBeGreaterThan(100);
    } finally {
      child.kill();
    }
  }, 90_000);
});
