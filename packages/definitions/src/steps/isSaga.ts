import type { Saga } from '../saga.js';

// Saga is imported as a type only (saga.ts imports the step files), so a saga is recognised by shape.
export const looksLikeSaga = (value: unknown): value is Saga =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as Partial<Saga>).validate === 'function' &&
  typeof (value as Partial<Saga>).describe === 'function';
