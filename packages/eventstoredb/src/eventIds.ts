import { createHash, randomUUID } from 'node:crypto';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The server's event id for a NewEvent id. The server requires UUIDs and de-duplicates a retried
 * append by them, so the id must be the same on every attempt: a UUID is kept, any other id is
 * hashed into one, and an event without id gets a random one (before the first attempt).
 */
export const eventUuid = (id: string | undefined): string => {
  if (id === undefined) return randomUUID();
  if (uuidPattern.test(id)) return id.toLowerCase();
  const hex = createHash('sha256').update(id).digest('hex');
  const variant = ((parseInt(hex.slice(16, 18), 16) & 0x3f) | 0x80).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(18, 20)}-${hex.slice(20, 32)}`;
};
