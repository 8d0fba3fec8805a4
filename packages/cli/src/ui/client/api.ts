/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/** The console's JSON endpoints and its live feed, as the pages call them. */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const errorOf = async (response: Response): Promise<ApiError> => {
  let message = `${response.status} ${response.statusText}`;
  try {
    const body = (await response.json()) as { error?: { message?: string } };
    if (body.error?.message) message = body.error.message;
  } catch {
    // Not JSON: the status says enough.
  }
  return new ApiError(response.status, message);
};

export const getJson = async <T>(url: string): Promise<T> => {
  const response = await fetch(url, { headers: { accept: 'application/json' }, credentials: 'same-origin' });
  if (!response.ok) throw await errorOf(response);
  return (await response.json()) as T;
};

export const postJson = async <T>(url: string, body: unknown): Promise<T> => {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, credentials: 'same-origin', body: JSON.stringify(body) });
  if (!response.ok) throw await errorOf(response);
  return (await response.json()) as T;
};

/** Calls `onChanged` with the executions that changed; `onState` says whether the feed is connected. */
export const followChanges = (
  onChanged: (executionIds: readonly string[]) => void,
  onState: (connected: boolean) => void,
  onCounts?: (counts: unknown) => void,
): EventSource => {
  const source = new EventSource('/api/live');
  source.addEventListener('ready', () => onState(true));
  source.addEventListener('error', () => onState(false));
  source.addEventListener('changed', (event) => {
    const data = JSON.parse((event as MessageEvent<string>).data) as { executions?: string[] };
    onChanged(data.executions ?? []);
  });
  if (onCounts) source.addEventListener('counts', (event) => onCounts(JSON.parse((event as MessageEvent<string>).data)));
  return source;
};
