// `@saga/testing/child`: what multi-process tests use outside the test runner's own process (child
// processes, and a demo or cluster that starts them), so it loads neither vitest nor the contract
// suites: `TestChildProcess`, the child's side of the IPC channel, and the decorators that
// halt a child at a crash point.
export * from './process/index.js';
export * from './crash/index.js';
