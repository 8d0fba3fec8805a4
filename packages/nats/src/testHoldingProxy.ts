/**
 * A TCP proxy on loopback that can hold back what the server sends to the client (for this package's
 * tests; excluded from the build). While held, the client's own traffic still reaches the server:
 * so a test can have the server deliver messages to a client that does not have them yet, let the
 * client act (close a subscription), and only then let the messages arrive — the wire delay of a
 * real network, made as long as the test needs and in a known order.
 */
import { createServer, connect } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';

export interface HoldingProxy {
  readonly port: number;
  /** From now on, what the server sends is kept, in order, instead of reaching the client. */
  hold(): void;
  /** Sends on what was kept, in order, and stops holding. */
  release(): void;
  close(): Promise<void>;
}

export const startHoldingProxy = async (targetHost: string, targetPort: number): Promise<HoldingProxy> => {
  const sockets = new Set<Socket>();
  const links = new Set<{ readonly client: Socket; readonly kept: Buffer[] }>();
  let holding = false;
  const server = createServer((client) => {
    const upstream = connect(targetPort, targetHost);
    const link = { client, kept: [] as Buffer[] };
    sockets.add(client).add(upstream);
    links.add(link);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
      links.delete(link);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      if (holding) link.kept.push(chunk);
      else client.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    hold: () => {
      holding = true;
    },
    release: () => {
      holding = false;
      for (const link of links) for (const chunk of link.kept.splice(0)) link.client.write(chunk);
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};
