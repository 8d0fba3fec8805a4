/**
 * @saga/cli as a library: the pieces behind the `saga` command, for tools that want the same
 * diagrams, reports, exports and checks without a terminal.
 */
export { run, createProgram } from './program.js';
export { CliError, UsageError, exitCodes } from './cliError.js';

// Diagrams.
export { diagramFromShape, diagramFromHistory, type SagaDiagram, type DiagramStep, type DiagramBranch, type NodeStatus } from './diagram/sagaDiagram.js';
export { toMermaid, diagramToMermaid } from './diagram/toMermaid.js';
export { renderSvg } from './diagram/renderSvg.js';

// Reports and exports.
export { renderHtmlReport, type ReportInput } from './report/renderHtmlReport.js';
export { auditTrail, type AuditTrail, type TimelineEntry, type StepRecord } from './report/auditTrail.js';
export {
  exportHistory,
  historyJson,
  historyDigest,
  historyFormat,
  type HistoryExport,
  type ExportedExecution,
  type ExportedEvent,
  type ExportedStep,
} from './history/historyExport.js';

// Checks and diffs (pure; candidates for @saga/execution).
export { diffExecutions, diffJson, type ExecutionDiff, type ValueChange, type StepChange } from './diff/executionDiff.js';
export { checkHistory, type HistoryCheck, type Finding } from './verify/historyInvariants.js';
export { checkDefinition, type DefinitionVerdict } from './verify/definitionCheck.js';

// Loading.
export { loadDefinitions, isDefinitionLike, type DefinitionLike, type LoadedDefinition } from './definitions/loadDefinition.js';
export { decodePrefix, type DecodedPrefix } from './store/loadExecution.js';
export { parseSince, parseDuration } from './format/since.js';
