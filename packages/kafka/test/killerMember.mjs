// A member that dies on its first delivery, as a process killed by a message would: it exits
// without leaving the group, so the group waits out its session before the partition moves.
// Used by kafkaBroker.int.spec.ts: node test/killerMember.mjs <url> <topic> <group> <maxDeliveries>
import { KafkaBroker } from '../dist/index.js';

const [url, topic, group, maxDeliveries] = process.argv.slice(2);
const broker = new KafkaBroker({ url, sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500 });
await broker.subscribe(
  topic,
  group,
  async (message) => {
    process.stdout.write(`delivery ${message.deliveryCount}\n`);
    process.exit(1);
  },
  { maxDeliveries: Number(maxDeliveries) },
);
process.stdout.write('joined\n');
