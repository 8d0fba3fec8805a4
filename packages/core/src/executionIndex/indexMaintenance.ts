/** Checking and rebuilding a store's execution index from its streams (`saga verify --all` uses them). */
export {
  checkIndex,
  checkExecutionIndex,
  type IndexCheckReport,
  type IndexFinding,
  type IndexFindingKind,
  type IndexProgress,
  type IndexWalkOptions,
} from './checkIndex.js';
export { rebuildIndex, type IndexRebuildReport, type UndecodableStream } from './rebuildIndex.js';
export {
  defaultTimeToleranceMs,
  describeDifferences,
  diffIndexEntry,
  type IndexEntryDiffOptions,
  type IndexEntryDifference,
  type IndexEntryField,
  type IndexEntryValue,
} from './indexEntryDiff.js';
export { streamIndexEntry, type StreamIndexEntry } from './streamIndexEntry.js';
