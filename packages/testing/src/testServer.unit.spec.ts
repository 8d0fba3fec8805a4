import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { testServer } from './testServer.js';

const variable = 'SAGA_TEST_SERVER_UNIT_URL';
const listening = async (): Promise<{ server: Server; port: number }> => {
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
};
const closedPort = async (): Promise<number> => {
  const { server, port } = await listening();
  await new Promise((resolve) => server.close(resolve));
  return port;
};
const options = (local: string) => ({
  name: 'Unit',
  variable,
  example: 'unit://127.0.0.1:1',
  local,
  start: async () => ({ url: 'unit://container', stop: async () => undefined }),
});

describe('testServer', () => {
  afterEach(() => {
    delete process.env[variable];
    vi.restoreAllMocks();
  });

  it('uses the URL of the variable first, even when the local server answers', async () => {
    const { server, port } = await listening();
    try {
      process.env[variable] = 'unit://named:1';
      const found = await testServer(options(`unit://127.0.0.1:${port}`));
      expect(found).toMatchObject({ url: 'unit://named:1', source: 'environment', skip: undefined });
    } finally {
      server.close();
    }
  });

  it('uses the server on its default local port when the variable is unset, and says so in one line', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const { server, port } = await listening();
    try {
      const found = await testServer(options(`unit://user:secret@127.0.0.1:${port}/db`));
      expect(found).toMatchObject({ url: `unit://user:secret@127.0.0.1:${port}/db`, source: 'local', skip: undefined });
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0]?.[0]).toContain(`127.0.0.1:${port}`);
      expect(warn.mock.calls[0]?.[0]).toContain(variable);
      expect(warn.mock.calls[0]?.[0]).not.toContain('secret');
      await found.stop();
    } finally {
      server.close();
    }
  });

  it('goes on to Testcontainers, or skips, when nothing answers on the local port', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const found = await testServer(options(`unit://127.0.0.1:${await closedPort()}`));
    expect(found.source).not.toBe('local');
    expect(found.source === 'none' ? found.skip : found.url).toBeTruthy();
    await found.stop();
  });
});
