import { randomUUID } from 'node:crypto';

/**
 * `prefix` plus a random suffix: contract suites may run against a shared, long-lived server, so no
 * two tests (or two runs) may touch the same stream, topic or group.
 */
export const uniqueName = (prefix: string): string => `${prefix}${randomUUID().replaceAll('-', '').slice(0, 16)}`;
