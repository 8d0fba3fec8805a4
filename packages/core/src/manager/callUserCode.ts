/**
 * Calls a user callback and turns what it did into data: a new context, or the error it threw
 * (or returned, as the reference allows). Nothing a callback does escapes as an exception.
 */
import { SagaContext, type ContextResult, type JsonObject } from '@saga/definitions';
import type { ErrorInfo } from '@saga/execution';

export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ErrorInfo };

export const errorInfo = (error: unknown): ErrorInfo =>
  error instanceof Error
    ? { name: error.name || 'Error', message: error.message }
    : { name: 'Error', message: typeof error === 'string' ? error : JSON.stringify(error) ?? String(error) };

export const attempt = async <T>(call: () => T | Promise<T>): Promise<Outcome<T>> => {
  try {
    return { ok: true, value: await call() };
  } catch (error) {
    return { ok: false, error: errorInfo(error) };
  }
};

/** A callback's result as the next context: nothing keeps the context (the reference wiped it). */
export const contextOutcome = async (current: JsonObject, call: () => ContextResult | Promise<ContextResult>): Promise<Outcome<JsonObject>> => {
  const outcome = await attempt(call);
  if (!outcome.ok) return outcome;
  const result = outcome.value;
  if (result instanceof Error) return { ok: false, error: errorInfo(result) };
  if (result === undefined || result === null) return { ok: true, value: current };
  try {
    return { ok: true, value: SagaContext.from(result).toJSON() };
  } catch (error) {
    return { ok: false, error: errorInfo(error) };
  }
};
