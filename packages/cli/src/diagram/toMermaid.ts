/**
 * A `SagaDiagram` as a Mermaid `flowchart TD`: one node per step, a decision node per conditional
 * with each branch in a subgraph, a parallel step as a fork (hexagon) whose branches sit side by
 * side in subgraphs and meet again at a join node, a child step as a subroutine node naming the
 * child (and, given `childLink`, linking to its report), compensations as dotted edges to an
 * "undo" node, and, with an execution, classDef colours for the status of each step on its path.
 */
import type { DiagramBranch, DiagramStep, NodeStatus, SagaDiagram } from './sagaDiagram.js';
import { diagramFromShape } from './sagaDiagram.js';
import type { SagaShape } from '@saga/core';

const nodeId = (path: string): string => `s${path.replaceAll('.', '_')}`;
const undoId = (path: string): string => `u${path.replaceAll('.', '_')}`;
const joinId = (path: string): string => `j${path.replaceAll('.', '_')}`;
const branchId = (path: string, key: DiagramBranch['key']): string => `b${path.replaceAll('.', '_')}_${key === null ? 'none' : key}`;

/** Mermaid labels are quoted; quotes and angle brackets become entities so no label breaks the syntax. */
const text = (value: string): string =>
  value.replaceAll('#', '#35;').replaceAll('"', '#quot;').replaceAll('<', '#lt;').replaceAll('>', '#gt;');

const label = (title: string, detail: string): string => `"${text(title)}${detail ? `<br/><small>${text(detail)}</small>` : ''}"`;

export const statusClasses: Record<NodeStatus, string> = {
  finished: 'fill:#e7f5ea,stroke:#1f7a3a,stroke-width:2px,color:#10331c',
  compensated: 'fill:#fff4e0,stroke:#b35c00,stroke-width:2px,color:#4d2800',
  failed: 'fill:#fdeaea,stroke:#b3261e,stroke-width:2px,color:#5c0f0b',
  active: 'fill:#e6f0fb,stroke:#1f5fa8,stroke-width:2px,color:#0d2a4d',
  notReached: 'fill:#f6f7f9,stroke:#9aa3ad,stroke-dasharray:4 3,color:#5d6670',
};

export interface MermaidOptions {
  /** Where a child execution's own report is (a URL or file name); without it, a child node only names the child. */
  readonly childLink?: (childId: string) => string;
}

interface Emitter {
  readonly options: MermaidOptions;
  /** Node declarations and subgraphs first; edges after, outside every subgraph, so that no edge pulls a node into a branch. */
  readonly lines: string[];
  readonly edges: string[];
  /** `click` lines (links to child reports), after the edges. */
  readonly clicks: string[];
  readonly classes: Map<NodeStatus, string[]>;
  edge: number;
  readonly takenEdges: number[];
}

const classify = (emitter: Emitter, id: string, status: NodeStatus | undefined): void => {
  if (status === undefined) return;
  emitter.classes.set(status, [...(emitter.classes.get(status) ?? []), id]);
};

const link = (emitter: Emitter, line: string, taken = false): void => {
  emitter.edges.push(`  ${line}`);
  if (taken) emitter.takenEdges.push(emitter.edge);
  emitter.edge += 1;
};

const onPath = (status: NodeStatus | undefined): boolean => status !== undefined && status !== 'notReached';

/** Declares a sequence's nodes and its inner edges; returns the ids control leaves it from. */
interface Entry {
  readonly id: string;
  readonly label?: string;
  readonly taken: boolean;
}

const emitSequence = (emitter: Emitter, steps: readonly DiagramStep[], entries: readonly Entry[], indent: string): readonly Entry[] => {
  let from = entries;
  for (const step of steps) {
    const id = nodeId(step.path);
    emitter.lines.push(`${indent}${id}${nodeShape(step)}`);
    classify(emitter, id, step.status);
    const childId = step.child?.id;
    if (childId !== undefined && emitter.options.childLink) {
      emitter.clicks.push(`  click ${id} href "${text(emitter.options.childLink(childId))}" "${text(`the report of child ${childId}`)}"`);
    }
    for (const entry of from) link(emitter, `${entry.id} -->${entry.label ? `|${text(entry.label)}|` : ''} ${id}`, entry.taken && onPath(step.status));
    if (step.compensation) {
      const undo = undoId(step.path);
      emitter.lines.push(`${indent}${undo}[/${label(`undo ${step.path}`, step.compensation.detail)}/]`);
      classify(emitter, undo, step.compensation.status);
      link(emitter, `${id} -.-> ${undo}`, step.compensation.status === 'compensated');
    }
    from =
      step.kind === 'conditional' ? emitBranches(emitter, step, indent) : step.kind === 'parallel' ? emitParallel(emitter, step, indent) : [{ id, taken: onPath(step.status) }];
  }
  return from;
};

/** A decision is a diamond, a fork a hexagon (every branch runs, none is chosen), a child a subroutine box. */
const nodeShape = (step: DiagramStep): string => {
  if (step.kind === 'conditional') return `{${label(step.title, step.detail)}}`;
  if (step.kind === 'parallel') return `{{${label(step.title, step.detail)}}}`;
  if (step.kind === 'child') {
    // From a definition the detail names the child saga; with an execution, the child's own id too.
    const child = step.child;
    const named = child?.name !== undefined && child.id !== undefined ? `${step.detail} · child ${child.id}${child.outcome ? ` · ${child.outcome}` : ''}` : step.detail;
    return `[[${label(step.title, named)}]]`;
  }
  return `[${label(step.title, step.detail)}]`;
};

/**
 * The branches of a parallel step side by side, each in a subgraph entered from the fork, all
 * leaving through one join node: control goes on only when every branch has finished.
 */
const emitParallel = (emitter: Emitter, step: DiagramStep, indent: string): Entry[] => {
  const id = nodeId(step.path);
  const join = joinId(step.path);
  const exits: Entry[] = [];
  for (const branch of step.branches ?? []) {
    const taken = (branch.taken ?? false) && onPath(step.status);
    if (branch.steps.length === 0) {
      exits.push({ id, label: branch.label, taken });
      continue;
    }
    emitter.lines.push(`${indent}subgraph ${branchId(step.path, branch.key)} ["${text(branch.label)}"]`);
    emitter.lines.push(`${indent}  direction TB`);
    exits.push(...emitSequence(emitter, branch.steps, [{ id, label: `‖ ${branch.key === null ? '' : String(branch.key)}`, taken }], `${indent}  `));
    emitter.lines.push(`${indent}end`);
  }
  emitter.lines.push(`${indent}${join}(("${text(`join ${step.path}`)}"))`);
  classify(emitter, join, step.status);
  for (const exit of exits) link(emitter, `${exit.id} -->${exit.label ? `|${text(exit.label)}|` : ''} ${join}`, exit.taken);
  return [{ id: join, taken: step.status === 'finished' || step.status === 'compensated' }];
};

const emitBranches = (emitter: Emitter, step: DiagramStep, indent: string): Entry[] => {
  const id = nodeId(step.path);
  const exits: Entry[] = [];
  for (const branch of step.branches ?? []) {
    const taken = branch.taken ?? false;
    if (branch.steps.length === 0) {
      exits.push({ id, label: branch.label, taken });
      continue;
    }
    emitter.lines.push(`${indent}subgraph ${branchId(step.path, branch.key)} ["${text(branch.label)}"]`);
    const inner = emitSequence(emitter, branch.steps, [{ id, label: branch.key === 'else' ? 'else' : branch.key === null ? '' : `if #${branch.key}`, taken }], `${indent}  `);
    emitter.lines.push(`${indent}end`);
    exits.push(...inner);
  }
  return exits;
};

export const diagramToMermaid = (diagram: SagaDiagram, options: MermaidOptions = {}): string => {
  const emitter: Emitter = { options, lines: [], edges: [], clicks: [], classes: new Map(), edge: 0, takenEdges: [] };
  emitter.lines.push('flowchart TD');
  emitter.lines.push(`  start(["${text(diagram.title)}${diagram.partial ? '<br/><small>steps that ran (no definition given)</small>' : ''}"])`);
  const exits = emitSequence(emitter, diagram.steps, [{ id: 'start', taken: diagram.highlighted }], '  ');
  const outcome = diagram.outcome;
  emitter.lines.push(`  finish(["${text(outcome ? outcome.label : 'end')}"])`);
  for (const exit of exits) link(emitter, `${exit.id} -->${exit.label ? `|${text(exit.label)}|` : ''} finish`, exit.taken && outcome?.status === 'finished');
  emitter.lines.push(...emitter.edges, ...emitter.clicks);
  if (outcome) {
    const status: NodeStatus = outcome.status === 'finished' ? 'finished' : outcome.status === 'errored' ? 'failed' : 'active';
    classify(emitter, 'finish', status);
  }
  if (diagram.highlighted) {
    for (const [status, style] of Object.entries(statusClasses)) emitter.lines.push(`  classDef ${status} ${style}`);
    for (const [status, ids] of emitter.classes) emitter.lines.push(`  class ${ids.join(',')} ${status}`);
    if (emitter.takenEdges.length > 0) emitter.lines.push(`  linkStyle ${emitter.takenEdges.join(',')} stroke:#1f2937,stroke-width:3px`);
  }
  return `${emitter.lines.join('\n')}\n`;
};

/** A definition's shape as a Mermaid flowchart (`saga diagram`). */
export const toMermaid = (shape: SagaShape): string => diagramToMermaid(diagramFromShape(shape));
