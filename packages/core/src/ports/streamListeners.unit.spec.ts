import { describe, expect, it } from 'vitest';
import { StreamListeners } from './streamListeners.js';

describe('StreamListeners', () => {
  it('tells each new revision once, never backwards, and survives a listener that throws', () => {
    const listeners = new StreamListeners();
    const heard: number[] = [];
    listeners.add('s', () => {
      throw new Error('a broken listener');
    });
    listeners.add('s', (revision) => heard.push(revision));
    for (const revision of [0, 2, 2, 1, 3]) listeners.notify('s', revision);
    listeners.notify('other', 9);
    expect(heard).toEqual([0, 2, 3]);
  });

  it('starts from what the adapter knows, and calls the hooks on the first and last listener only', () => {
    const calls: string[] = [];
    const listeners = new StreamListeners({
      onFirstListener: (stream) => {
        calls.push(`first ${stream}`);
        return 4;
      },
      onLastListener: (stream) => calls.push(`last ${stream}`),
    });
    const heard: number[] = [];
    const listener = (revision: number): void => void heard.push(revision);
    const one = listeners.add('s', listener);
    const two = listeners.add('s', listener);
    listeners.notify('s', 4);
    listeners.notify('s', 5);
    one();
    one();
    expect(listeners.streams()).toEqual(['s']);
    two();
    expect(listeners.size).toBe(0);
    listeners.notify('s', 6);
    expect(heard).toEqual([5, 5]);
    expect(calls).toEqual(['first s', 'last s']);
  });
});
