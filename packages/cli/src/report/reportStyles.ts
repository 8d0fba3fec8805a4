/** The report's stylesheet: inline, so the page needs nothing from the network, and made to print. */
export const reportStyles = `
:root{
  --ink:#1b2430;--muted:#5b6673;--faint:#8a939e;--rule:#dde2e8;--paper:#ffffff;--wash:#f5f7fa;
  --ok:#1f7a3a;--ok-bg:#e7f5ea;--warn:#b35c00;--warn-bg:#fff4e0;--bad:#b3261e;--bad-bg:#fdeaea;
  --info:#1f5fa8;--info-bg:#e6f0fb;--accent:#24466e;
  --sans:"Inter","Segoe UI",system-ui,-apple-system,Roboto,"Helvetica Neue",Arial,sans-serif;
  --mono:ui-monospace,"SFMono-Regular","DejaVu Sans Mono",Menlo,Consolas,monospace;
}
*{box-sizing:border-box}
html{-webkit-print-color-adjust:exact;print-color-adjust:exact}
body{margin:0;background:var(--wash);color:var(--ink);font:14.5px/1.55 var(--sans)}
main{max-width:1120px;margin:0 auto;padding:28px 32px 48px;background:var(--paper);min-height:100vh}
header.report-head{border-bottom:3px solid var(--accent);padding-bottom:16px;margin-bottom:20px}
.eyebrow{font-size:12px;letter-spacing:.12em;text-transform:uppercase;color:var(--accent);font-weight:700}
h1{font-size:26px;line-height:1.25;margin:6px 0 4px;font-weight:700;display:flex;align-items:center;gap:12px;flex-wrap:wrap}
h2{font-size:17px;margin:30px 0 10px;padding-bottom:6px;border-bottom:1px solid var(--rule);color:var(--accent)}
h3{font-size:14.5px;margin:0}
.subtitle{color:var(--muted);font-size:14px}
.mono,code,pre{font-family:var(--mono);font-size:12.5px}
pre{margin:4px 0 0;padding:10px 12px;background:var(--wash);border:1px solid var(--rule);border-radius:6px;white-space:pre-wrap;word-break:break-word}
.badge{display:inline-block;padding:2px 10px;border-radius:999px;font-size:12px;font-weight:700;letter-spacing:.06em;text-transform:uppercase;border:1.5px solid currentColor;vertical-align:middle}
.badge.finished{color:var(--ok);background:var(--ok-bg)}
.badge.errored,.badge.failed{color:var(--bad);background:var(--bad-bg)}
.badge.compensated{color:var(--warn);background:var(--warn-bg)}
.badge.paused,.badge.running,.badge.created,.badge.active{color:var(--info);background:var(--info-bg)}
.badge.neutral,.badge.notReached{color:var(--muted);background:var(--wash)}
dl.facts{display:grid;grid-template-columns:repeat(auto-fit,minmax(250px,1fr));gap:2px 28px;margin:0}
dl.facts div{padding:7px 0;border-bottom:1px solid var(--rule)}
dl.facts dt{font-size:11.5px;text-transform:uppercase;letter-spacing:.06em;color:var(--muted);font-weight:600}
dl.facts dd{margin:1px 0 0;overflow-wrap:anywhere}
.callout{border:1px solid var(--rule);border-left:5px solid var(--muted);border-radius:6px;padding:10px 14px;margin:12px 0;background:var(--paper)}
.callout.ok{border-left-color:var(--ok);background:var(--ok-bg)}
.callout.bad{border-left-color:var(--bad);background:var(--bad-bg)}
.callout.warn{border-left-color:var(--warn);background:var(--warn-bg)}
.callout.info{border-left-color:var(--info);background:var(--info-bg)}
.callout strong{display:block;margin-bottom:2px}
.callout ul{margin:4px 0 0;padding-left:20px}
.diagram{overflow-x:auto;border:1px solid var(--rule);border-radius:8px;padding:8px;background:var(--paper)}
.diagram svg{display:block;margin:0 auto;max-width:100%;height:auto}
ol.timeline{list-style:none;margin:0;padding:0;border-left:2px solid var(--rule);margin-left:62px}
ol.timeline li.event{position:relative;padding:8px 0 10px 18px;break-inside:avoid}
ol.timeline li.event::before{content:"";position:absolute;left:-7px;top:14px;width:12px;height:12px;border-radius:50%;background:var(--paper);border:2px solid var(--muted)}
ol.timeline .rev{position:absolute;left:-64px;top:11px;width:48px;text-align:right;font:600 12px var(--mono);color:var(--muted)}
.event .line{display:flex;gap:10px;align-items:baseline;flex-wrap:wrap}
.event .type{font-weight:700}
.event .step-ref{font:12px var(--mono);color:var(--muted);border:1px solid var(--rule);border-radius:4px;padding:0 6px}
.event time{font:12px var(--mono);color:var(--faint);margin-left:auto}
.event .summary{color:var(--ink);margin-top:1px}
.event.category-start::before{border-color:var(--accent);background:var(--accent)}
.event.category-step::before{border-color:var(--ok)}
.event.category-request::before,.event.category-reply::before{border-color:var(--info)}
.event.category-failure::before{border-color:var(--bad);background:var(--bad)}
.event.category-failure .type{color:var(--bad)}
.event.category-compensation{background:linear-gradient(90deg,var(--warn-bg),transparent 70%)}
.event.category-compensation::before{border-color:var(--warn);background:var(--warn)}
.event.category-compensation .type{color:var(--warn)}
.event.category-end::before{border-color:var(--ink);background:var(--ink)}
.event.category-transaction::before{border-color:var(--faint)}
.event.category-timer{padding-top:3px;padding-bottom:4px}
.event.category-timer::before{width:8px;height:8px;left:-5px;top:10px;border-color:var(--faint)}
.event.category-timer .type,.event.category-timer .summary{color:var(--muted);font-weight:400;font-size:13px}
.event.category-timer .rev{top:4px}
.event.corrupted{background:var(--bad-bg)}
.event.corrupted::before{border-color:var(--bad);background:var(--bad-bg)}
ul.changes{list-style:none;margin:4px 0 0;padding:0;font:12.5px/1.6 var(--mono)}
ul.changes li{padding-left:2px}
ul.changes .added{color:var(--ok)}
ul.changes .removed{color:var(--bad)}
ul.changes .changed{color:var(--warn)}
ul.changes .meta{color:var(--muted)}
.steps{display:grid;gap:12px}
.step-card{border:1px solid var(--rule);border-radius:8px;padding:12px 14px;break-inside:avoid;border-left:5px solid var(--muted)}
.step-card.finished{border-left-color:var(--ok)}
.step-card.compensated{border-left-color:var(--warn)}
.step-card.failed{border-left-color:var(--bad)}
.step-card.active{border-left-color:var(--info)}
.step-card header{display:flex;gap:10px;align-items:center;flex-wrap:wrap;margin-bottom:6px}
.step-card .kind{color:var(--muted);font-size:13px}
.step-card .branches{display:grid;grid-template-columns:repeat(auto-fit,minmax(280px,1fr));gap:10px;margin-top:10px}
.step-card .branches>.branch{border:1px dashed var(--rule);border-radius:6px;padding:8px;display:grid;gap:8px;align-content:start}
.step-card .branches>.branch>h4{margin:0;font-size:12px;color:var(--muted)}
.step-card .child{border:1px solid var(--rule);border-radius:6px;padding:6px 10px;margin:6px 0}
.step-card .child h4{margin:0 0 4px;font-size:11.5px;text-transform:uppercase;letter-spacing:.06em;color:var(--muted)}
.step-card .grid{display:grid;grid-template-columns:1fr 1fr;gap:10px}
.step-card .cell h4{margin:6px 0 0;font-size:11.5px;text-transform:uppercase;letter-spacing:.06em;color:var(--muted)}
.json .added,.json .changed,.json .removed{display:inline-block;width:100%;border-radius:3px}
.json .added{background:#d9f0df;box-shadow:-6px 0 0 #d9f0df}
.json .changed{background:#fde7c4;box-shadow:-6px 0 0 #fde7c4}
.json .removed{background:#f9d7d5;box-shadow:-6px 0 0 #f9d7d5;text-decoration:line-through}
.legend-note{text-transform:none;letter-spacing:0;font-weight:400;color:var(--faint)}
.step-card .msg{font-size:13px;margin-top:4px}
.step-card .compensation{margin-top:10px;padding:8px 10px;border-radius:6px;background:var(--warn-bg);border:1px solid #f0d2a8}
.step-card .compensation.failed{background:var(--bad-bg);border-color:#f1b8b4}
table.kv{border-collapse:collapse;width:100%;font-size:13.5px}
table.kv td,table.kv th{padding:5px 8px;border-bottom:1px solid var(--rule);text-align:left;vertical-align:top}
table.kv th{font-size:11.5px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted)}
footer.report-foot{margin-top:36px;padding-top:12px;border-top:1px solid var(--rule);color:var(--muted);font-size:12.5px}
footer.report-foot code{word-break:break-all}
@page{size:A4;margin:14mm 12mm}
@media print{
  body{background:#fff;font-size:10.5pt}
  main{max-width:none;padding:0 2mm;min-height:0}
  h2{break-after:avoid}
  .diagram{border:none;overflow:visible}
  .step-card .grid{grid-template-columns:1fr 1fr}
  section.diagram-section{break-inside:avoid}
}
@media (max-width:720px){.step-card .grid{grid-template-columns:1fr}}
`;
