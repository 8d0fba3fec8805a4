/**
 * The entry of a subject's child process (forked by childSubject.ts): opens the one subject it is told
 * to, then runs what the bench process asks of it — warm-up, profiled and measured rounds, a sweep —
 * and closes it. Holding one subject per process keeps each subject's CPU, heap, background loops and
 * async hooks (DBOS's AsyncLocalStorage hooks every promise) out of every other subject's rounds.
 */
import { reasonOf } from '../runner.js';
import { LocalSubject } from './localSubject.js';
import { encodeError, parseRequest, type FatalMessage, type HostRequest, type ReplyMessage, type ReplyValues } from './protocol.js';
import { openSubject } from './subjectSpec.js';

const log = (line: string): void => console.log(line);

const send = (message: ReplyMessage | FatalMessage): Promise<void> =>
  new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(message, undefined, undefined, () => resolve());
  });

let held: LocalSubject | undefined;

const opened = (): LocalSubject => {
  if (held === undefined) throw new Error('the subject host was asked to run before it was told what to open; send "open" first.');
  return held;
};

const handle = async (request: HostRequest): Promise<ReplyValues[HostRequest['type']]> => {
  switch (request.type) {
    case 'open':
      held = new LocalSubject(await openSubject(request.spec, log), log);
      return held.facts;
    case 'warmUp':
      await opened().warmUp(request.workload, request.count, request.inFlight);
      return null;
    case 'profile':
      await opened().profile(request.request, request.name);
      return null;
    case 'round':
      return opened().round(request.request);
    case 'sweep':
      return opened().sweep();
    case 'close':
      await held?.close();
      held = undefined;
      return null;
  }
};

const dieOf = (error: unknown): void => {
  void send({ fatal: { message: `the subject's process failed: ${reasonOf(error)}` } }).finally(() => process.exit(1));
};

process.on('uncaughtException', dieOf);
process.on('unhandledRejection', dieOf);
// The bench process is gone (it exited, or was killed): nothing will ask for the subject again.
process.on('disconnect', () => process.exit(0));

process.on('message', (message: unknown) => {
  void (async () => {
    let id = -1;
    try {
      const parsed = parseRequest(message);
      id = parsed.id;
      const value = await handle(parsed.request);
      await send({ id, ok: true, value });
      // Closed: exit without waiting for handles a library may leave open (DBOS's, Restate's server).
      if (parsed.request.type === 'close') process.exit(0);
    } catch (error) {
      await send({ id, ok: false, error: encodeError(error) });
    }
  })();
});
