/**
 * The console's stylesheet, served as a file (`/assets/ui.css`; the CSP allows no inline style): the
 * report's and the diagram's, so an execution looks the same here and in `saga report`, plus the
 * console's own pieces (top bar, filters, table, replay slider, actions).
 */
import { diagramStyles } from '../diagram/renderSvg.js';
import { reportStyles } from '../report/reportStyles.js';

const consoleStyles = `
.topbar{display:flex;gap:16px;align-items:center;flex-wrap:wrap;padding:10px 32px;background:var(--accent);color:#fff;font-size:13.5px}
.topbar a{color:#fff;text-decoration:none;font-weight:700;letter-spacing:.02em}
.topbar .store{font-family:var(--mono);font-size:12px;opacity:.85;overflow-wrap:anywhere}
.topbar .mode{margin-left:auto;border:1px solid rgba(255,255,255,.5);border-radius:999px;padding:1px 10px;font-size:12px}
.topbar .mode.actions{background:#fff4e0;color:var(--warn);border-color:#fff4e0;font-weight:700}
main.console{max-width:1280px}
.counts{display:flex;gap:8px;flex-wrap:wrap;margin:6px 0 14px;min-height:26px}
.counts a{text-decoration:none}
.counts .badge{font-size:13px;padding:3px 12px}
.counts .total{color:var(--muted);font-size:13px;align-self:center}
form.filters{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:8px 14px;align-items:end;padding:12px 14px;border:1px solid var(--rule);border-radius:8px;background:var(--wash);margin-bottom:12px}
form.filters label{display:flex;flex-direction:column;gap:3px;font-size:11.5px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);font-weight:600}
form.filters fieldset{grid-column:1/-1;border:none;margin:0;padding:0;display:flex;gap:14px;flex-wrap:wrap;align-items:center;font-size:13px}
form.filters fieldset legend{float:left;margin-right:6px;font-size:11.5px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);font-weight:600}
form.filters fieldset label{flex-direction:row;align-items:center;text-transform:none;letter-spacing:0;color:var(--ink);font-weight:400;font-size:13.5px}
input,select,button{font:inherit;font-size:13.5px}
input[type=text],input[type=search],input[type=datetime-local],select{padding:5px 8px;border:1px solid #c5ccd4;border-radius:5px;background:#fff;color:var(--ink);min-width:0}
button{padding:5px 14px;border:1px solid var(--accent);border-radius:5px;background:var(--accent);color:#fff;cursor:pointer}
button.secondary{background:#fff;color:var(--accent)}
button:disabled{opacity:.45;cursor:not-allowed}
button.danger{background:var(--bad);border-color:var(--bad)}
.filters .buttons{display:flex;gap:8px}
.listing-head{display:flex;gap:12px;align-items:baseline;flex-wrap:wrap;margin:4px 0 8px}
.listing-head .criteria{color:var(--muted);font-size:13px}
.live{font-size:12.5px;color:var(--muted)}
.live.on::before{content:"● ";color:var(--ok)}
.live.off::before{content:"● ";color:var(--faint)}
table.executions{width:100%;border-collapse:collapse;font-size:13.5px}
table.executions th{font-size:11.5px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);text-align:left;padding:6px 8px;border-bottom:2px solid var(--rule);white-space:nowrap}
table.executions td{padding:6px 8px;border-bottom:1px solid var(--rule);vertical-align:top;overflow-wrap:anywhere}
table.executions tbody tr:hover{background:var(--wash)}
table.executions tr.changed{animation:flash 1.6s ease-out}
@keyframes flash{from{background:#fff4c2}to{background:transparent}}
table.executions td.id a{font-family:var(--mono);font-size:12.5px}
table.executions td.time{white-space:nowrap;font-family:var(--mono);font-size:12px;color:var(--muted)}
table.executions td.empty{text-align:center;color:var(--muted);padding:24px}
nav.pager{display:flex;gap:10px;justify-content:flex-end;margin-top:12px}
.replay{display:grid;grid-template-columns:auto 1fr;gap:6px 14px;align-items:center;padding:12px 14px;border:1px solid var(--rule);border-radius:8px;background:var(--wash);margin:16px 0}
.replay label{font-weight:700;color:var(--accent)}
.replay input[type=range]{width:100%}
.replay output{grid-column:2;font-size:13px;color:var(--muted)}
.replay output strong{color:var(--ink)}
.head-actions{display:flex;gap:10px;flex-wrap:wrap;align-items:center;margin-top:10px}
.head-actions a.download{font-size:13.5px}
.badge.verified{color:var(--ok);background:var(--ok-bg)}
.badge.unverified{color:var(--bad);background:var(--bad-bg)}
.badge.readonly{color:var(--muted);background:var(--wash)}
section.actions{border:1px solid var(--rule);border-radius:8px;padding:10px 14px;margin:12px 0}
section.actions h2{margin:0 0 6px;border:none;padding:0;font-size:15px}
section.actions .row{display:flex;gap:10px;flex-wrap:wrap;align-items:center}
section.actions .note{color:var(--muted);font-size:13px;margin:6px 0 0}
section.actions input[type=text]{min-width:260px}
dialog{border:1px solid var(--rule);border-radius:10px;padding:18px 20px;max-width:760px;width:92vw;box-shadow:0 12px 40px rgba(0,0,0,.25)}
dialog::backdrop{background:rgba(20,30,45,.45)}
dialog h2{margin-top:0}
dialog pre{max-height:320px;overflow:auto;background:var(--wash);border:1px solid var(--rule);border-radius:6px;padding:8px}
dialog .buttons{display:flex;gap:10px;justify-content:flex-end;margin-top:12px}
.timers ul{margin:4px 0 0;padding-left:20px}
h2.as-of{margin-top:22px}
#execution-head .subtitle{margin-top:2px}
#execution-head .subtitle strong{color:var(--ink)}
#report.stale{opacity:.55}
.revision-note{font-size:13px}
.hidden{display:none}
`;

export const uiStyles = `${reportStyles}\n${diagramStyles}\n${consoleStyles}`;
