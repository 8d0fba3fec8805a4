/**
 * A `SagaDiagram` drawn as a self-contained SVG: no script, no font or stylesheet to fetch, so the
 * HTML report renders offline and prints. The layout follows the saga's structure instead of a
 * general graph algorithm: steps stack on a vertical spine, a conditional's branches sit side by
 * side under its decision node and join again below, a parallel step's branches sit side by side
 * between a fork bar and a join bar (all of them run; control goes on once all have finished), a
 * child step names the child execution (a link to its report when the caller says where reports
 * are), and each compensation ("undo") node sits to
 * the right of its step on a dotted edge. Statuses carry a glyph as well as a colour, so a
 * black-and-white print still tells them apart.
 */
import type { DiagramBranch, DiagramStep, NodeStatus, SagaDiagram } from './sagaDiagram.js';

const nodeW = 216;
const nodeH = 50;
const undoW = 164;
const undoH = 40;
const undoGap = 36;
const diamondW = 200;
const diamondH = 66;
const vGap = 36;
const branchGap = 24;
const framePad = 14;
const frameTitle = 22;
const emptyBranchW = 120;
const terminalW = 220;
const terminalH = 36;
const margin = 24;
const barH = 5;

export const statusGlyph: Record<NodeStatus, string> = {
  finished: '✓',
  compensated: '↩',
  failed: '✗',
  active: '…',
  notReached: '',
};

export const statusName: Record<NodeStatus, string> = {
  finished: 'finished',
  compensated: 'compensated',
  failed: 'failed',
  active: 'in progress',
  notReached: 'not reached',
};

const escapeXml = (value: string): string =>
  value.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

/** Text cut to what fits in `width` pixels (an estimate: no font metrics without a browser). */
const fit = (value: string, width: number, charWidth = 6.9): string => {
  const max = Math.max(4, Math.floor(width / charWidth));
  return value.length > max ? `${value.slice(0, max - 1)}…` : value;
};

interface Exit {
  readonly x: number;
  readonly y: number;
  readonly taken: boolean;
}

interface Canvas {
  /** Drawn in order of `layer`: untaken paths first, so a shared segment shows the path taken on top. */
  readonly edges: { readonly layer: number; readonly svg: string }[];
  readonly nodes: string[];
  readonly highlighted: boolean;
  readonly childLink: ((childId: string) => string) | undefined;
}

interface Block {
  /** Extent left and right of the spine, and height. */
  readonly left: number;
  readonly right: number;
  readonly height: number;
  /** Draws the block with its spine at `cx` and its top at `top`; returns where control leaves it. */
  place(cx: number, top: number, canvas: Canvas): Exit[];
}

const statusClass = (status: NodeStatus | undefined): string => (status ? ` ${status}` : '');
const taken = (status: NodeStatus | undefined): boolean => status !== undefined && status !== 'notReached';

const edgeLayer = (canvas: Canvas, onPath: boolean): number => (!canvas.highlighted ? 1 : onPath ? 2 : 0);
const edgeClass = (canvas: Canvas, onPath: boolean): string => `edge${canvas.highlighted ? (onPath ? ' taken' : ' untaken') : ''}`;

const arrow = (canvas: Canvas, d: string, onPath: boolean, kind: 'flow' | 'undo' = 'flow'): void => {
  const cls = kind === 'undo' ? 'edge undo' : edgeClass(canvas, onPath);
  const marker = kind === 'undo' ? 'undo-arrow' : onPath && canvas.highlighted ? 'arrow-taken' : 'arrow';
  canvas.edges.push({ layer: kind === 'undo' ? 1 : edgeLayer(canvas, onPath), svg: `<path class="${cls}" d="${d}" marker-end="url(#${marker})"/>` });
};

const line = (canvas: Canvas, d: string, onPath: boolean): void => {
  canvas.edges.push({ layer: edgeLayer(canvas, onPath), svg: `<path class="${edgeClass(canvas, onPath)}" d="${d}"/>` });
};

const connect = (canvas: Canvas, from: Exit, cx: number, top: number, entryTaken: boolean): void => {
  const onPath = from.taken && entryTaken;
  if (Math.abs(from.x - cx) < 0.5) arrow(canvas, `M${from.x} ${from.y} V${top - 2}`, onPath);
  else arrow(canvas, `M${from.x} ${from.y} V${top - vGap / 2} H${cx} V${top - 2}`, onPath);
};

const glyph = (status: NodeStatus | undefined, x: number, y: number): string =>
  status && statusGlyph[status] ? `<text class="glyph" x="${x}" y="${y}" text-anchor="end">${statusGlyph[status]}</text>` : '';

const tooltip = (lines: readonly string[]): string => `<title>${escapeXml(lines.filter(Boolean).join('\n'))}</title>`;

/** A child step's node also shows the child execution (its id, how it ended) and links to its report. */
const childLines = (step: DiagramStep): { readonly height: number; readonly line?: string } => {
  const child = step.child;
  if (child?.id === undefined) return { height: nodeH };
  return { height: nodeH + 16, line: `child ${child.id.slice(0, 8)}${child.outcome ? ` · ${child.outcome}` : ''}` };
};

const stepBlock = (step: DiagramStep): Block => ({
  left: nodeW / 2,
  right: nodeW / 2 + (step.compensation ? undoGap + undoW : 0),
  height: childLines(step).height,
  place(cx, top, canvas) {
    const x = cx - nodeW / 2;
    const state = step.status ? statusName[step.status] : '';
    const { height, line: childLine } = childLines(step);
    const childId = step.child?.id;
    const href = childId !== undefined && canvas.childLink ? canvas.childLink(childId) : undefined;
    const node =
      `<g class="node step${step.kind === 'child' ? ' child' : ''}${statusClass(step.status)}" data-path="${escapeXml(step.path)}" data-kind="${step.kind}"` +
      `${childId !== undefined ? ` data-child="${escapeXml(childId)}"` : ''}>` +
      tooltip([step.title, step.detail, childId !== undefined ? `child execution ${childId}` : '', step.child?.outcome ?? '', state]) +
      `<rect x="${x}" y="${top}" width="${nodeW}" height="${height}" rx="6"/>` +
      (step.kind === 'child' ? `<rect class="inner" x="${x + 4}" y="${top + 4}" width="${nodeW - 8}" height="${height - 8}" rx="4"/>` : '') +
      `<text class="title" x="${x + 12}" y="${top + 20}">${escapeXml(fit(step.title, nodeW - 40))}</text>` +
      `<text class="detail" x="${x + 12}" y="${top + 38}">${escapeXml(fit(step.detail, nodeW - 24, 6.6))}</text>` +
      (childLine !== undefined ? `<text class="detail child-id" x="${x + 12}" y="${top + 54}">${escapeXml(fit(childLine, nodeW - 24, 6.6))}</text>` : '') +
      glyph(step.status, x + nodeW - 10, top + 21) +
      '</g>';
    canvas.nodes.push(href !== undefined ? `<a class="child-link" href="${escapeXml(href)}">${node}</a>` : node);
    if (step.compensation) {
      const ux = cx + nodeW / 2 + undoGap;
      const uy = top + (nodeH - undoH) / 2;
      const status = step.compensation.status;
      arrow(canvas, `M${cx + nodeW / 2} ${top + nodeH / 2} H${ux - 2}`, false, 'undo');
      canvas.nodes.push(
        `<g class="node undo${statusClass(status)}" data-path="${escapeXml(step.path)}">` +
          tooltip([`undo ${step.path}`, step.compensation.detail, status ? statusName[status] : '']) +
          `<rect x="${ux}" y="${uy}" width="${undoW}" height="${undoH}" rx="18"/>` +
          `<text class="title" x="${ux + 14}" y="${uy + 16}">undo ${escapeXml(step.path)}</text>` +
          `<text class="detail" x="${ux + 14}" y="${uy + 31}">${escapeXml(fit(step.compensation.detail, undoW - 36, 6.6))}</text>` +
          glyph(status, ux + undoW - 12, uy + 17) +
          '</g>',
      );
    }
    return [{ x: cx, y: top + height, taken: taken(step.status) }];
  },
});

const sequenceBlock = (blocks: readonly Block[], entryTaken: (index: number) => boolean): Block => ({
  left: Math.max(0, ...blocks.map((b) => b.left)),
  right: Math.max(0, ...blocks.map((b) => b.right)),
  height: blocks.reduce((sum, b) => sum + b.height, 0) + Math.max(0, blocks.length - 1) * vGap,
  place(cx, top, canvas) {
    let y = top;
    let exits: Exit[] = [];
    blocks.forEach((block, index) => {
      if (index > 0) {
        for (const exit of exits) connect(canvas, exit, cx, y, entryTaken(index));
      }
      exits = block.place(cx, y, canvas);
      y += block.height + vGap;
    });
    return exits;
  },
});

const branchBlock = (branch: DiagramBranch, height: number, inner: Block | undefined): Block & { readonly width: number; readonly spine: number } => {
  const width = inner ? inner.left + inner.right + 2 * framePad : emptyBranchW;
  const spine = inner ? framePad + inner.left : width / 2;
  return {
    width,
    spine,
    left: spine,
    right: width - spine,
    height,
    place(cx, top, canvas) {
      const x = cx - spine;
      const state = branch.taken === undefined ? '' : branch.taken ? ' taken' : ' untaken';
      if (!inner) {
        canvas.nodes.push(`<text class="branch-label none${state}" x="${cx + 6}" y="${top + height / 2}">${escapeXml(branch.label)}</text>`);
        line(canvas, `M${cx} ${top} V${top + height}`, branch.taken ?? false);
        return [{ x: cx, y: top + height, taken: branch.taken ?? false }];
      }
      canvas.nodes.push(
        `<g class="branch${state}"><rect class="frame" x="${x}" y="${top}" width="${width}" height="${height}" rx="8"/>` +
          `<text class="branch-label" x="${x + 10}" y="${top + 15}">${escapeXml(fit(branch.label, width - 20, 6.4))}</text></g>`,
      );
      const firstTop = top + frameTitle + framePad;
      arrow(canvas, `M${cx} ${top} V${firstTop - 2}`, branch.taken ?? false);
      return inner.place(cx, firstTop, canvas);
    },
  };
};

const conditionalBlock = (step: DiagramStep): Block => {
  const inners = (step.branches ?? []).map((branch) => (branch.steps.length > 0 ? stepsBlock(branch.steps) : undefined));
  const rowHeight = Math.max(nodeH, ...inners.map((inner) => (inner ? inner.height + frameTitle + 2 * framePad : 0)));
  const branches = (step.branches ?? []).map((branch, index) => branchBlock(branch, rowHeight, inners[index]));
  const rowWidth = branches.reduce((sum, b) => sum + b.width, 0) + Math.max(0, branches.length - 1) * branchGap;
  const half = Math.max(diamondW / 2, rowWidth / 2);
  return {
    left: half,
    right: half,
    height: diamondH + vGap + rowHeight,
    place(cx, top, canvas) {
      const state = step.status ? statusName[step.status] : '';
      const points = `${cx},${top} ${cx + diamondW / 2},${top + diamondH / 2} ${cx},${top + diamondH} ${cx - diamondW / 2},${top + diamondH / 2}`;
      canvas.nodes.push(
        `<g class="node decision${statusClass(step.status)}" data-path="${escapeXml(step.path)}" data-kind="conditional">` +
          tooltip([step.title, step.detail, state]) +
          `<polygon points="${points}"/>` +
          `<text class="title" x="${cx}" y="${top + diamondH / 2 - 2}" text-anchor="middle">${escapeXml(fit(step.title, diamondW - 70))}</text>` +
          `<text class="detail" x="${cx}" y="${top + diamondH / 2 + 14}" text-anchor="middle">${escapeXml(fit(step.detail, diamondW - 80, 6.6))}</text>` +
          glyph(step.status, cx + diamondW / 2 + 20, top + diamondH / 2 + 5) +
          '</g>',
      );
      const rowTop = top + diamondH + vGap;
      const split = top + diamondH + vGap / 2;
      let x = cx - rowWidth / 2;
      const exits: Exit[] = [];
      branches.forEach((branch, index) => {
        const spine = x + branch.spine;
        const onPath = (step.branches?.[index]?.taken ?? false) && taken(step.status);
        line(canvas, `M${cx} ${top + diamondH} V${split} H${spine} V${rowTop}`, onPath);
        exits.push(...branch.place(spine, rowTop, canvas));
        x += branch.width + branchGap;
      });
      return exits;
    },
  };
};

/**
 * A parallel step: its node, a fork bar, the branches side by side (every one runs), and a join bar
 * every branch ends on; control leaves from the join bar's middle.
 */
const parallelBlock = (step: DiagramStep): Block => {
  const node = stepBlock(step);
  const inners = (step.branches ?? []).map((branch) => (branch.steps.length > 0 ? stepsBlock(branch.steps) : undefined));
  const rowHeight = Math.max(nodeH, ...inners.map((inner) => (inner ? inner.height + frameTitle + 2 * framePad : 0)));
  const branches = (step.branches ?? []).map((branch, index) => branchBlock(branch, rowHeight, inners[index]));
  const rowWidth = branches.reduce((sum, b) => sum + b.width, 0) + Math.max(0, branches.length - 1) * branchGap;
  const half = Math.max(node.left, rowWidth / 2);
  return {
    left: half,
    right: Math.max(node.right, rowWidth / 2),
    height: node.height + vGap + barH + vGap + rowHeight + vGap + barH,
    place(cx, top, canvas) {
      node.place(cx, top, canvas);
      const onPath = taken(step.status);
      const forkY = top + node.height + vGap;
      const rowTop = forkY + barH + vGap;
      const joinY = rowTop + rowHeight + vGap;
      const spines: number[] = [];
      let x = cx - rowWidth / 2;
      for (const branch of branches) {
        spines.push(x + branch.spine);
        x += branch.width + branchGap;
      }
      const barLeft = Math.min(cx, ...spines) - 10;
      const barRight = Math.max(cx, ...spines) + 10;
      const bar = (y: number, which: 'fork' | 'join'): string =>
        `<rect class="bar ${which}${statusClass(step.status)}" data-path="${escapeXml(step.path)}" x="${barLeft}" y="${y}" width="${barRight - barLeft}" height="${barH}" rx="2"/>`;
      arrow(canvas, `M${cx} ${top + node.height} V${forkY - 2}`, onPath);
      canvas.nodes.push(bar(forkY, 'fork'), bar(joinY, 'join'));
      branches.forEach((branch, index) => {
        const spine = spines[index] ?? cx;
        const branchTaken = (step.branches?.[index]?.taken ?? false) && onPath;
        line(canvas, `M${spine} ${forkY + barH} V${rowTop}`, branchTaken);
        for (const exit of branch.place(spine, rowTop, canvas)) {
          arrow(canvas, exit.x === spine ? `M${exit.x} ${exit.y} V${joinY - 2}` : `M${exit.x} ${exit.y} V${joinY - vGap / 2} H${spine} V${joinY - 2}`, exit.taken && branchTaken);
        }
      });
      return [{ x: cx, y: joinY + barH, taken: step.status === 'finished' || step.status === 'compensated' }];
    },
  };
};

const stepsBlock = (steps: readonly DiagramStep[]): Block =>
  sequenceBlock(
    steps.map((step) => (step.kind === 'conditional' ? conditionalBlock(step) : step.kind === 'parallel' ? parallelBlock(step) : stepBlock(step))),
    (index) => taken(steps[index]?.status),
  );

const terminalBlock = (label: string, cls: string, status: NodeStatus | undefined): Block => ({
  left: terminalW / 2,
  right: terminalW / 2,
  height: terminalH,
  place(cx, top, canvas) {
    canvas.nodes.push(
      `<g class="node terminal ${cls}${statusClass(status)}">` +
        `<rect x="${cx - terminalW / 2}" y="${top}" width="${terminalW}" height="${terminalH}" rx="${terminalH / 2}"/>` +
        `<text class="title" x="${cx}" y="${top + terminalH / 2 + 4.5}" text-anchor="middle">${escapeXml(fit(label, terminalW - 24))}</text>` +
        '</g>',
    );
    return [{ x: cx, y: top + terminalH, taken: true }];
  },
});

/** The diagram's stylesheet: inside the SVG by default; `saga ui` serves it as a file (its CSP allows no inline style). */
export const diagramStyles = `
.saga-diagram{font-family:"Inter","Segoe UI",system-ui,-apple-system,Roboto,"Helvetica Neue",Arial,sans-serif}
.saga-diagram .title{font-size:12.5px;font-weight:600;fill:#1b2430}
.saga-diagram .detail{font-size:11px;fill:#4a5563;font-family:ui-monospace,"SFMono-Regular","DejaVu Sans Mono",Menlo,Consolas,monospace}
.saga-diagram .glyph{font-size:14px;font-weight:700}
.saga-diagram .node rect,.saga-diagram .node polygon{fill:#ffffff;stroke:#6b7684;stroke-width:1.4}
.saga-diagram .node.undo rect{stroke-dasharray:5 3}
.saga-diagram .terminal rect{fill:#eef1f5;stroke:#6b7684}
.saga-diagram .finished rect,.saga-diagram .finished polygon{fill:#e7f5ea;stroke:#1f7a3a;stroke-width:2}
.saga-diagram .finished .glyph{fill:#1f7a3a}
.saga-diagram .compensated rect,.saga-diagram .compensated polygon{fill:#fff4e0;stroke:#b35c00;stroke-width:2}
.saga-diagram .compensated .glyph{fill:#b35c00}
.saga-diagram .failed rect,.saga-diagram .failed polygon{fill:#fdeaea;stroke:#b3261e;stroke-width:2}
.saga-diagram .failed .glyph{fill:#b3261e}
.saga-diagram .active rect,.saga-diagram .active polygon{fill:#e6f0fb;stroke:#1f5fa8;stroke-width:2}
.saga-diagram .active .glyph{fill:#1f5fa8}
.saga-diagram .notReached rect,.saga-diagram .notReached polygon{fill:#f7f8fa;stroke:#aab2bc;stroke-dasharray:4 3}
.saga-diagram .notReached .title,.saga-diagram .notReached .detail{fill:#8a939e}
.saga-diagram .bar{fill:#1b2430;stroke:none}
.saga-diagram .bar.notReached{fill:#aab2bc}
.saga-diagram .node.child .inner{fill:none;stroke:#6b7684;stroke-width:1}
.saga-diagram .child-link .child-id{text-decoration:underline;fill:#1f5fa8}
.saga-diagram .frame{fill:#fafbfc;stroke:#c5ccd4;stroke-width:1}
.saga-diagram .branch.untaken .frame{fill:#fcfcfd;stroke-dasharray:3 3}
.saga-diagram .branch-label{font-size:11px;font-weight:600;fill:#4a5563}
.saga-diagram .branch-label.untaken,.saga-diagram .branch.untaken .branch-label{fill:#9aa3ad}
.saga-diagram .edge{fill:none;stroke:#6b7684;stroke-width:1.4}
.saga-diagram .edge.taken{stroke:#1b2430;stroke-width:2.4}
.saga-diagram .edge.untaken{stroke:#c0c7cf;stroke-dasharray:4 3}
.saga-diagram .edge.undo{stroke:#b35c00;stroke-width:1.4;stroke-dasharray:3 3}
.saga-diagram .legend text{font-size:11px;fill:#4a5563}
`;

const defs =
  '<defs>' +
  '<marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" fill="#6b7684"/></marker>' +
  '<marker id="arrow-taken" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" fill="#1b2430"/></marker>' +
  '<marker id="undo-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" fill="#b35c00"/></marker>' +
  '</defs>';

const legend = (highlighted: boolean, x: number, y: number): { svg: string; width: number; height: number } => {
  const items: string[] = [];
  let cursor = x;
  const swatch = (cls: string, label: string) => {
    items.push(
      `<g class="node ${cls}"><rect x="${cursor}" y="${y}" width="22" height="14" rx="3"/>${glyph(cls as NodeStatus, cursor + 18, y + 11.5)}</g>` +
        `<text x="${cursor + 28}" y="${y + 11}">${label}</text>`,
    );
    cursor += 28 + label.length * 6.4 + 16;
  };
  if (highlighted) for (const status of ['finished', 'compensated', 'failed', 'active', 'notReached'] as const) swatch(status, statusName[status]);
  items.push(`<path class="edge undo" d="M${cursor} ${y + 7} H${cursor + 26}"/><text x="${cursor + 32}" y="${y + 11}">compensation (undo)</text>`);
  cursor += 32 + 19 * 6.4;
  return { svg: `<g class="legend">${items.join('')}</g>`, width: cursor - x, height: 14 };
};

export interface SvgOptions {
  /** Put the stylesheet inside the SVG (default), so the drawing stands alone. */
  readonly embedStyles?: boolean;
  /** Where a child execution's report is (a file name or URL): the child's node links to it. */
  readonly childLink?: (childId: string) => string;
}

export const renderSvg = (diagram: SagaDiagram, options: SvgOptions = {}): string => {
  const outcome = diagram.outcome;
  const endStatus: NodeStatus | undefined = outcome ? (outcome.status === 'finished' ? 'finished' : outcome.status === 'errored' ? 'failed' : 'active') : undefined;
  const body = stepsBlock(diagram.steps);
  const root = sequenceBlock(
    [terminalBlock(diagram.title, 'start', undefined), body, terminalBlock(outcome ? outcome.label : 'end', 'end', endStatus)],
    (index) => index !== 1 || taken(diagram.steps[0]?.status),
  );
  const canvas: Canvas = { edges: [], nodes: [], highlighted: diagram.highlighted, childLink: options.childLink };
  const legendY = margin + root.height + 22;
  const key = legend(diagram.highlighted, margin, legendY);
  const contentWidth = Math.max(root.left + root.right, key.width);
  // Centred when the legend is the wider of the two.
  const cx = margin + root.left + (contentWidth - (root.left + root.right)) / 2;
  root.place(cx, margin, canvas);
  const width = Math.ceil(margin + contentWidth + margin);
  const height = Math.ceil(legendY + key.height + margin);
  const note = diagram.partial
    ? `<text class="detail" x="${margin}" y="${legendY - 6}">Only the steps this execution ran: pass --definition to draw the whole saga.</text>`
    : '';
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="saga-diagram" role="img" aria-label="Flowchart of ${escapeXml(diagram.title)}" ` +
    `width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">` +
    `${options.embedStyles === false ? '' : `<style>${diagramStyles}</style>`}${defs}` +
    `<g class="edges">${[...canvas.edges].sort((a, b) => a.layer - b.layer).map((e) => e.svg).join('')}</g><g class="nodes">${canvas.nodes.join('')}</g>${note}${key.svg}</svg>`
  );
};
