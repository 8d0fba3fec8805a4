// Multi-process tests: start, talk to, kill and reap child processes (parent side), and the child's side.
export { TestChildProcess, liveChildProcesses, stopChildProcesses, type ChildExit, type ChildMessage, type ChildProcessOptions, type WaitForMessageOptions } from './childProcess.js';
export { ChildProcessError } from './childProcessError.js';
export { announceReady, haltForKill, onParentMessage, reportToParent } from './parentChannel.js';
export { isProcessGone, isProcessGroupGone } from './processLiveness.js';
