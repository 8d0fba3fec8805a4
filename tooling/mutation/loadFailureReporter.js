// A vitest reporter for mutation runs only: a spec file that fails to load becomes one failed test.
//
// Why: Stryker's vitest runner (9.3.0, and up to 10.0.0: stryker-js#6150) builds a mutant's result
// from the tests vitest collected, and a spec file whose import throws collects none. A mutant of
// module-level code that makes a module throw as it loads (the step-kind registry's
// `new Map(…)` fed `undefined` entries) then fails no test and is reported *survived*, although
// every spec that imports the module fails. The same hole would let a dry run pass with a spec file
// that cannot load. This reporter runs before the runner reads vitest's state (`onFinished` is
// awaited by `vitest.start`) and gives each such file a failed test carrying the load error.

/** @param {import('vitest').RunnerTestFile} file */
const loadFailure = (file) => ({
  type: 'test',
  id: `${file.id}_load`,
  name: 'loads its module graph',
  mode: 'run',
  file,
  suite: file,
  meta: {},
  context: undefined,
  result: { state: 'fail', errors: file.result?.errors ?? [{ message: `${file.name} failed to load` }] },
});

export default class LoadFailureReporter {
  /** @param {import('vitest').RunnerTestFile[]} [files] */
  onFinished(files = []) {
    for (const file of files) {
      if (file.result?.state === 'fail' && file.tasks.length === 0) file.tasks.push(loadFailure(file));
    }
  }
}
