import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { TestChildProcess, liveChildProcesses, stopChildProcesses } from './childProcess.js';
import { isProcessGone } from './processLiveness.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../../test/fixtures/process/${name}.ts`, import.meta.url));

describe('TestChildProcess', () => {
  afterEach(() => stopChildProcesses());

  it('starts a TypeScript child as the process itself, talks to it over IPC, kills it and reaps it', async () => {
    const child = TestChildProcess.start({ script: fixture('echoChild'), name: 'echo' });
    const ready = await child.ready();
    expect(ready).toMatchObject({ type: 'ready', role: 'echo', pid: child.pid });
    expect(child.announcedPid).toBe(child.pid);

    const heard: unknown[] = [];
    const stopListening = child.onMessage((message) => heard.push(message));
    child.send({ type: 'ping', n: 1 });
    expect(await child.waitForMessage('echo')).toEqual({ type: 'echo', got: { type: 'ping', n: 1 } });
    expect(heard).toEqual([{ type: 'echo', got: { type: 'ping', n: 1 } }]);
    stopListening();
    await child.waitForOutput('echo child up');

    child.send({ type: 'halt', point: 'after the append' });
    expect(await child.waitForMessage((m) => m.type === 'halted', { point: 'after the append' })).toMatchObject({ point: 'after the append', pid: child.pid });
    expect(isProcessGone(child.pid)).toBe(false);

    expect(await child.kill()).toEqual({ code: null, signal: 'SIGKILL' });
    expect(isProcessGone(child.pid)).toBe(true);
    expect(liveChildProcesses()).not.toContain(child);
  });

  it('kills what the child started too (its process group)', async () => {
    const child = TestChildProcess.start({ script: fixture('parentOfGrandchild') });
    const grandchild = Number((await child.ready()).grandchild);
    expect(isProcessGone(grandchild)).toBe(false);
    await child.kill();
    expect(isProcessGone(grandchild)).toBe(true);
  });

  it('refuses a child run through a wrapper: the pid that announced itself is not the pid it would kill', async () => {
    const child = TestChildProcess.start({ script: fixture('wrapperChild'), name: 'wrapped' });
    await expect(child.ready()).rejects.toThrow(/announced pid \d+, but the process started is pid \d+: a wrapper runs it/);
    await expect(child.kill()).rejects.toThrow(/a wrapper runs it/);
    await child.stop();
    expect(isProcessGone(child.pid)).toBe(true);
  });

  it('a child that never reaches its point fails in bounded time, naming the point and its last output', async () => {
    const child = TestChildProcess.start({ script: fixture('stuckChild'), name: 'manager-1' });
    await child.ready();
    const began = Date.now();
    const error = await child.waitForMessage('halted', { point: "crash point 'after-append'", timeoutMs: 1_500 }).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/manager-1 \(pid \d+\) did not reach crash point 'after-append' within 1500 ms/);
    expect((error as Error).message).toContain('connected to the store');
    expect((error as Error).message).toContain('waiting for a reply that never comes');
    expect(Date.now() - began).toBeLessThan(10_000);
  });

  it('a child that exits early fails at once, with its exit code and last output', async () => {
    const child = TestChildProcess.start({ script: fixture('failingChild'), name: 'participant' });
    const error = await child.ready().catch((e: unknown) => e as Error);
    expect((error as Error).message).toMatch(/participant \(pid \d+\) exited \(code 3, signal null\) before it reached ready/);
    expect((error as Error).message).toContain('ECONNREFUSED');
    await expect(child.kill()).rejects.toThrow(/had already exited/);
    expect(await child.waitForExit()).toEqual({ code: 3, signal: null });
  });

  it('waiting for a child to finish is bounded too', async () => {
    const child = TestChildProcess.start({ script: fixture('stuckChild'), name: 'demo' });
    await child.ready();
    await expect(child.waitForExit({ point: 'the end of the demo', timeoutMs: 500 })).rejects.toThrow(/demo \(pid \d+\) did not reach the end of the demo within 500 ms; its last output:\n.*connected to the store/s);
  });

  it('teardown stops every child still running, whatever the test did', async () => {
    const children = [TestChildProcess.start({ script: fixture('echoChild') }), TestChildProcess.start({ script: fixture('stuckChild') })];
    await Promise.all(children.map((c) => c.ready()));
    expect(liveChildProcesses()).toEqual(expect.arrayContaining(children));
    await stopChildProcesses(500);
    expect(liveChildProcesses()).toEqual([]);
    for (const child of children) expect(isProcessGone(child.pid)).toBe(true);
  });
});
