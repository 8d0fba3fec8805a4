// What `pnpm mutation` mutates, in run order (checkInvariants last: its rule tests are the ones most
// often being rewritten). A target runs in one package, since a package's specs import its own
// sources while other packages import its dist/; `vitestConfig` names the file in this folder that
// says which specs run (default: the package's unit specs).
export const targets = [
  { name: 'execution-evolve', dir: 'packages/execution', mutate: ['src/evolve.ts', 'src/stamp.ts'], about: 'the fold: evolve, fold, replay and their helpers, and stamp (a decision’s state as if folded as stored)' },
  {
    name: 'core-manager',
    dir: 'packages/core',
    // The step kinds and the two-phase commit were split out of decide.ts: their code is still the decider's.
    mutate: ['src/manager/decide.ts', 'src/manager/nextAction.ts', 'src/manager/stepKinds/*.ts', 'src/manager/transaction/*.ts', '!src/manager/**/*.spec.ts'],
    about: 'the decider, next-action, the step kind modules and the two-phase commit',
  },
  {
    name: 'testing-checkInvariants',
    dir: 'packages/testing',
    mutate: ['src/faults/checkInvariants.ts'],
    about: 'checkInvariants: decoding, filtering and wording of the findings',
  },
  {
    name: 'execution-checkHistory',
    dir: 'packages/execution',
    mutate: ['src/checkHistory.ts'],
    vitestConfig: 'vitest.checkInvariants.config.js',
    about: 'the rules checkInvariants applies, with its rule tests from @saga/testing',
  },
];
