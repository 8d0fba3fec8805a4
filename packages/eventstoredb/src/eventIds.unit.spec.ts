import { describe, expect, it } from 'vitest';
import { eventUuid } from './eventIds.js';

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('event ids', () => {
  it('keeps a UUID (lower-cased), so the engine id is the server id', () => {
    expect(eventUuid('5A0BA7E2-8C8B-4C0E-9F52-1F5B0C3D2E10')).toBe('5a0ba7e2-8c8b-4c0e-9f52-1f5b0c3d2e10');
  });

  it('hashes any other id into the same UUID every time, and different ids into different ones', () => {
    expect(eventUuid('decision-1')).toMatch(uuid);
    expect(eventUuid('decision-1')).toBe(eventUuid('decision-1'));
    expect(eventUuid('decision-1')).not.toBe(eventUuid('decision-2'));
  });

  it('makes a random one when there is no id', () => {
    expect(eventUuid(undefined)).toMatch(uuid);
    expect(eventUuid(undefined)).not.toBe(eventUuid(undefined));
  });
});
