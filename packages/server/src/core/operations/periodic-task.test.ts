import { describe, expect, it } from 'vitest';
import { PeriodicTask } from './periodic-task.js';

describe('PeriodicTask', () => {
  it('runs at start and every interval, never two runs at once, and stop waits for the run in progress', async () => {
    let runs = 0;
    let concurrent = 0;
    let maxConcurrent = 0;
    const task = new PeriodicTask(
      async () => {
        runs++;
        concurrent++;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        await new Promise((done) => setTimeout(done, 15));
        concurrent--;
      },
      { intervalMs: 5, onError: (error) => expect.fail(String(error)) },
    );
    task.start();
    await new Promise((done) => setTimeout(done, 80));
    await task.stop();
    expect(runs).toBeGreaterThanOrEqual(2);
    expect(maxConcurrent).toBe(1);
    expect(concurrent).toBe(0);
    const stopped = runs;
    await new Promise((done) => setTimeout(done, 30));
    expect(runs).toBe(stopped);
  });

  it('reports a failing run and keeps going', async () => {
    const errors: unknown[] = [];
    let runs = 0;
    const task = new PeriodicTask(
      async () => {
        runs++;
        throw new Error(`run ${runs}`);
      },
      { intervalMs: 5, onError: (error) => errors.push(error) },
    );
    task.start();
    await new Promise((done) => setTimeout(done, 40));
    await task.stop();
    expect(runs).toBeGreaterThanOrEqual(2);
    expect(errors).toHaveLength(runs);
  });
});
