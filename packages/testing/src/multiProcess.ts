// `@saga/testing/child`: what a child process of a multi-process test imports (its side of the IPC
// channel, and the decorators that halt it at a crash point). It loads neither vitest nor the
// contract suites, which only run inside a test runner.
export { announceReady, haltForKill, onParentMessage, reportToParent } from './process/parentChannel.js';
export * from './crash/index.js';
