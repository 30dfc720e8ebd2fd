// InferSave web front end: one page, no framework, no external resources.
// Talks to the InferSave HTTP server on the same origin (/v1/...).

const $ = (sel, root = document) => root.querySelector(sel);
const form = $('#plan-form');

// Request fields by section. Every input's `name` is its request field.
const COMMON = ['model', 'model_config', 'catalog', 'region', 'spot', 'max_price', 'engine',
  'weights', 'kv_cache', 'input_len', 'output_len'];
const BATCH = ['batch_size', 'requests', 'slo_tps', 'pace'];
const SERVICE = ['rate', 'slo_ttft_ms', 'slo_tpot_ms', 'slo_percentile', 'prompt_tokens',
  'output_tokens', 'sim_requests'];
const NUMERIC = new Set(['max_price', 'input_len', 'output_len', 'batch_size', 'requests', 'slo_tps',
  'rate', 'slo_ttft_ms', 'slo_tpot_ms', 'slo_percentile', 'sim_requests']);
const SWEEP = [0.2, 0.4, 0.6, 0.8, 1.0, 1.2];   // latency sweep, fractions of the pick's max rate
const PLAN_TIMEOUT_MS = 300000;

const defaults = {};     // field -> initial value, so the URL only keeps what the user changed
let seq = 0;             // bumps on every submit; late answers of older submits are dropped
let inflight = null;     // AbortController of the current plan and its follow-up requests
let last = null;         // { body, plan, online, rec } of the plan on screen
let redrawLatency = null; // redraws the latency chart (on resize)

// --- formatting

function esc(s) {
  return String(s ?? '').replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}
const isNum = v => typeof v === 'number' && Number.isFinite(v);
// Number formatters; their output is digits and units only, safe in HTML.
const num = (v, digits = 0) => isNum(v) ? v.toLocaleString('en-US', { maximumFractionDigits: digits }) : '–';
function sig(v, n = 3) {
  if (!isNum(v) || v === 0) return num(v);
  const d = Math.min(6, Math.max(0, n - 1 - Math.floor(Math.log10(Math.abs(v)))));
  return num(+v.toFixed(d), d);
}
const usd = v => isNum(v) ? '$' + v.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: v >= 100 ? 2 : v >= 1 ? 3 : 4 }) : '–';
const ms = v => !isNum(v) ? '–' : v >= 1000 ? sig(v / 1000) + ' s' : sig(v) + ' ms';
const hours = v => !isNum(v) ? '–' : v < 1 ? sig(v * 60) + ' min' : sig(v) + ' h';
const short = v => !isNum(v) ? '' : Math.abs(v) >= 1e6 ? sig(v / 1e6) + 'M' : Math.abs(v) >= 1e3 ? sig(v / 1e3) + 'k' : sig(v);
const params = n => !isNum(n) ? '' : n >= 1e9 ? sig(n / 1e9) + 'B' : sig(n / 1e6) + 'M';
const pl = (n, w) => `${esc(n)} ${w}${n === 1 ? '' : 's'}`;
const pctName = p => 'p' + (isNum(p) ? String(+p.toFixed(3)) : '99');

// --- form state

const mode = () => (form.elements.mode.value === 'service' ? 'service' : 'batch');

function setMode(m) {
  const svc = m === 'service';
  $(svc ? '#mode-service' : '#mode-batch').checked = true;
  for (const fs of form.querySelectorAll('.mode-batch-only')) fs.hidden = svc;
  for (const fs of form.querySelectorAll('.mode-service-only')) fs.hidden = !svc;
  document.body.dataset.mode = m;
  const flex = $('#deploy-format option[value="flexgen"]');
  flex.disabled = svc;
  if (svc && $('#deploy-format').value === 'flexgen') $('#deploy-format').value = 'skypilot';
}

const activeFields = () => [...COMMON, ...(mode() === 'service' ? SERVICE : BATCH)];
const field = name => form.elements.namedItem(name);

const readValue = el => el.type === 'checkbox' ? (el.checked ? '1' : '') : el.value.trim();

function ensureOption(select, value) {
  if (![...select.options].some(o => o.value === value)) select.add(new Option(value, value));
}

function setValue(el, v) {
  if (el.type === 'checkbox') el.checked = v === '1' || v === 'true';
  else {
    if (el.tagName === 'SELECT') ensureOption(el, v);
    el.value = v;
  }
}

// The query string holds the mode and every field that differs from its default.
function stateParams() {
  const p = new URLSearchParams();
  if (mode() === 'service') p.set('mode', 'service');
  for (const name of activeFields()) {
    const el = field(name);
    if (!el) continue;
    const v = readValue(el);
    if (v !== (defaults[name] ?? '')) p.set(name, v);
  }
  return p;
}

function applyParams(p) {
  let any = false;
  for (const [k, v] of p) {
    any = true;
    if (k === 'mode') { setMode(v === 'service' ? 'service' : 'batch'); continue; }
    const el = field(k);
    if (!el || el instanceof RadioNodeList) continue;
    setValue(el, v);
    if (k === 'model_config' && v) $('#config-details').open = true;
  }
  return any;
}

// The request body: every non-empty field of the current mode, plus top=100.
function buildBody() {
  const body = {};
  const errors = {};
  for (const name of activeFields()) {
    const el = field(name);
    if (!el) continue;
    if (el.type === 'checkbox') { if (el.checked) body[name] = true; continue; }
    const v = el.value.trim();
    if (v === '') continue;
    if (name === 'model_config') {
      try {
        const cfg = JSON.parse(v);
        if (!cfg || typeof cfg !== 'object' || Array.isArray(cfg)) throw new Error('expected a JSON object');
        body.model_config = cfg;
      } catch (e) {
        errors.model_config = 'This is not a JSON config: ' + e.message;
      }
      continue;
    }
    body[name] = NUMERIC.has(name) && Number.isFinite(Number(v)) ? Number(v) : v;
  }
  if ('model_config' in body || errors.model_config) delete body.model;
  body.top = 100;
  return { body, errors };
}

// --- errors

function clearErrors() {
  for (const e of form.querySelectorAll('.field-error')) e.textContent = '';
  for (const el of form.querySelectorAll('[aria-invalid]')) { el.removeAttribute('aria-invalid'); el.removeAttribute('aria-describedby'); }
  const box = $('#form-error');
  box.hidden = true;
  box.textContent = '';
}

function showGeneralError(msg) {
  const box = $('#form-error');
  box.textContent = msg;
  box.hidden = false;
}

// Put the message beside the input named `name`; false when no such visible input.
function showFieldError(name, msg) {
  if (!name) return false;
  const candidates = [name, name.split('.').pop()];
  if (name === 'model' && field('model_config').value.trim()) candidates.unshift('model_config');
  for (const n of candidates) {
    const el = field(n);
    const slot = $('#err-' + CSS.escape(n));
    if (!el || !slot || el instanceof RadioNodeList) continue;
    if (n === 'model_config') $('#config-details').open = true;
    if (el.closest('[hidden]')) continue;
    slot.textContent = msg;
    el.setAttribute('aria-invalid', 'true');
    el.setAttribute('aria-describedby', slot.id);
    el.focus({ preventScroll: false });
    return true;
  }
  return false;
}

const httpError = (status, field, message) => Object.assign(new Error(message), { status, field });

async function post(path, body, signal) {
  let res;
  try {
    res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw httpError(0, '', 'Cannot reach the InferSave server (' + e.message + ').');
  }
  if (res.status >= 500) throw httpError(res.status, '', `Server busy or timed out (HTTP ${res.status}). Try again in a moment.`);
  const text = await res.text();
  if (!res.ok) {
    let err = null;
    try { err = JSON.parse(text).error; } catch { /* not JSON */ }
    throw httpError(res.status, err?.field || '', err?.message || `HTTP ${res.status}: ${text.slice(0, 300)}`);
  }
  if (!(res.headers.get('content-type') || '').includes('json')) return text;
  try { return JSON.parse(text); } catch { throw httpError(res.status, '', 'The server answered with malformed JSON.'); }
}

async function getJSON(path) {
  const res = await fetch(path);
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return res.json();
}

// --- SVG charts

function niceStep(raw) {
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}
function linTicks(lo, hi, n = 5) {
  const step = niceStep((hi - lo) / n || 1);
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(+v.toPrecision(12));
  return out;
}
function logTicks(lo, hi) {
  const span = Math.log10(hi / lo);
  const mult = span <= 1.3 ? [1, 2, 5] : span <= 3 ? [1, 3] : [1];
  const out = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of mult) { const v = m * 10 ** e; if (v >= lo && v <= hi) out.push(+v.toPrecision(12)); }
  }
  return out.length >= 2 ? out : linTicks(lo, hi, 4).filter(v => v > 0);
}
function domain(vals, log, zero) {
  vals = vals.filter(v => isNum(v) && (!log || v > 0));
  if (!vals.length) return log ? [1, 10] : [0, 1];
  let lo = Math.min(...vals), hi = Math.max(...vals);
  if (log) {
    if (hi <= lo) { lo /= 2; hi *= 2; }
    const pad = Math.max(Math.log10(hi / lo) * 0.06, 0.04);
    return [lo / 10 ** pad, hi * 10 ** pad];
  }
  if (zero) lo = Math.min(0, lo);
  if (hi <= lo) hi = lo + (Math.abs(lo) || 1);
  const pad = (hi - lo) * 0.06;
  return [zero && lo === 0 ? 0 : lo - pad, hi + pad];
}
function axisScale([lo, hi], a, b, log) {
  const f = log
    ? v => a + (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) * (b - a)
    : v => a + (v - lo) / (hi - lo) * (b - a);
  f.ticks = log ? logTicks(lo, hi) : linTicks(lo, hi);
  f.lo = lo; f.hi = hi;
  return f;
}
const wantsLog = vals => { const v = vals.filter(x => isNum(x) && x > 0); return v.length > 1 && Math.max(...v) / Math.min(...v) > 20; };

// opts: { title, xLabel, yLabel, xLog, yLog, points:[{x,y,cls,r,title,label}], lines:[{pts,cls,title}],
//         vlines:[{x,label,cls}], hlines:[{y,label,cls}], shade:{from,to} (x range meeting the objective) }
function chart(opts) {
  const W = Math.round(Math.min(900, Math.max(300, opts.width || 640))), H = Math.round(Math.min(360, Math.max(240, W * 0.55)));
  const L = 56, R = 14, T = 16, B = 44;
  const xs = [...opts.points.map(p => p.x), ...(opts.lines || []).flatMap(l => l.pts.map(p => p.x)), ...(opts.vlines || []).map(v => v.x)];
  const ys = [...opts.points.map(p => p.y), ...(opts.lines || []).flatMap(l => l.pts.map(p => p.y)), ...(opts.hlines || []).map(v => v.y)];
  const x = axisScale(domain(xs, opts.xLog, opts.xZero), L, W - R, opts.xLog);
  const y = axisScale(domain(ys, opts.yLog, !opts.yLog), H - B, T, opts.yLog);
  const inX = v => isNum(v) && v >= x.lo && v <= x.hi;
  const inY = v => isNum(v) && v >= y.lo && v <= y.hi;
  const f1 = v => v.toFixed(1);
  let s = `<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(opts.title)}" class="plot" preserveAspectRatio="xMidYMid meet"><title>${esc(opts.title)}</title>`;
  if (opts.shade) {
    const a = Math.max(x.lo, opts.shade.from ?? x.lo), b = Math.min(x.hi, opts.shade.to ?? x.hi);
    if (b > a) s += `<rect class="shade" x="${f1(x(a))}" y="${T}" width="${f1(x(b) - x(a))}" height="${H - B - T}"><title>meets the objective</title></rect>`;
  }
  for (const t of x.ticks) s += `<line class="grid" x1="${f1(x(t))}" x2="${f1(x(t))}" y1="${T}" y2="${H - B}"/><text class="tick" x="${f1(x(t))}" y="${H - B + 16}" text-anchor="middle">${esc((opts.xFmt || short)(t))}</text>`;
  for (const t of y.ticks) s += `<line class="grid" x1="${L}" x2="${W - R}" y1="${f1(y(t))}" y2="${f1(y(t))}"/><text class="tick" x="${L - 6}" y="${f1(y(t) + 4)}" text-anchor="end">${esc((opts.yFmt || short)(t))}</text>`;
  s += `<line class="axis" x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}"/><line class="axis" x1="${L}" x2="${L}" y1="${T}" y2="${H - B}"/>`;
  s += `<text class="axis-label" x="${(L + W - R) / 2}" y="${H - 8}" text-anchor="middle">${esc(opts.xLabel)}</text>`;
  s += `<text class="axis-label" transform="translate(14 ${(T + H - B) / 2}) rotate(-90)" text-anchor="middle">${esc(opts.yLabel)}</text>`;
  for (const v of opts.vlines || []) {
    if (!inX(v.x)) continue;
    const px = x(v.x), right = px > W * 0.7;
    s += `<g class="${v.cls || 'objective'}"><line x1="${f1(px)}" x2="${f1(px)}" y1="${T}" y2="${H - B}"/><text x="${f1(px + (right ? -4 : 4))}" y="${T + 12}" text-anchor="${right ? 'end' : 'start'}">${esc(v.label)}</text><title>${esc(v.label)}</title></g>`;
  }
  for (const h of opts.hlines || []) {
    if (!inY(h.y)) continue;
    s += `<g class="${h.cls || 'objective'}"><line x1="${L}" x2="${W - R}" y1="${f1(y(h.y))}" y2="${f1(y(h.y))}"/><text x="${W - R - 4}" y="${f1(y(h.y) - 4)}" text-anchor="end">${esc(h.label)}</text><title>${esc(h.label)}</title></g>`;
  }
  for (const l of opts.lines || []) {
    const pts = l.pts.filter(p => inX(p.x) && inY(p.y));
    if (pts.length > 1) s += `<polyline class="line ${l.cls || ''}" points="${pts.map(p => f1(x(p.x)) + ',' + f1(y(p.y))).join(' ')}"><title>${esc(l.title || '')}</title></polyline>`;
    for (const p of pts) s += `<circle class="dot ${l.cls || ''}" cx="${f1(x(p.x))}" cy="${f1(y(p.y))}" r="3.5"><title>${esc(p.title || '')}</title></circle>`;
  }
  const sorted = [...opts.points].sort((a, b) => (a.pick ? 1 : 0) - (b.pick ? 1 : 0));   // the pick drawn last, on top
  for (const p of sorted) {
    if (!inX(p.x) || !inY(p.y)) continue;
    const px = x(p.x), py = y(p.y);
    s += `<g class="pt ${p.cls || ''}"><title>${esc(p.title)}</title>`;
    if (p.pick) s += `<circle class="ring" cx="${f1(px)}" cy="${f1(py)}" r="11"/>`;
    s += `<circle cx="${f1(px)}" cy="${f1(py)}" r="${p.r || 5}"/>`;
    if (p.label) {
      const right = px > W * 0.7;
      s += `<text class="pt-label" x="${f1(px + (right ? -15 : 15))}" y="${f1(py + 4)}" text-anchor="${right ? 'end' : 'start'}">${esc(p.label)}</text>`;
    }
    s += '</g>';
  }
  return s + '</svg>';
}

function legend(items) {
  return '<ul class="legend">' + items.map(([cls, text]) => `<li><span class="key ${cls}" aria-hidden="true"></span>${esc(text)}</li>`).join('') + '</ul>';
}

// --- plan helpers

const qualifies = (c, online) => online
  ? c.qualifies === true
  : c.rejected_because == null && c.feasible !== false && c.meets_slo !== false && c.within_price_cap !== false;

function pickIndex(cands, rec) {
  if (!rec) return -1;
  const same = c => c.instance === rec.instance && c.tensor_parallel === rec.tensor_parallel &&
    (c.replicas ?? c.replicas_per_instance) === (rec.replicas ?? rec.replicas_per_instance);
  let i = cands.findIndex(same);
  if (i < 0) i = cands.findIndex(c => c.instance === rec.instance);
  return i;
}

function gpuText(c) {
  return `${c.gpu_count ?? 1}× ${c.gpu ?? '?'}`;
}

// The load point an online candidate is judged at, and its latency at the objective's percentile.
function loadPoint(c) { return c.at_target || c.at_max_rate || c.light_load || null; }

// Which latency the service objective is about (TTFT unless only TPOT is set).
function onlineObjective(inputs) {
  if (isNum(inputs?.slo_ttft_ms) || !isNum(inputs?.slo_tpot_ms)) return { key: 'ttft', name: 'TTFT', limit: inputs?.slo_ttft_ms };
  return { key: 'tpot', name: 'TPOT', limit: inputs.slo_tpot_ms };
}

// --- rendering: recommendation

function kpi(label, value, note = '') {
  return `<div class="kpi"><dt>${esc(label)}</dt><dd>${value}${note ? `<small>${note}</small>` : ''}</dd></div>`;
}

function accuracyHtml(r) {
  let s = '';
  if (r.accuracy) s += esc(r.accuracy.charAt(0).toUpperCase() + r.accuracy.slice(1)) + '.';
  const e = r.expected_error;
  if (e) s += ` Expected error: median ${sig(e.median_pct, 2)}%, p90 ${sig(e.p90_pct, 2)}%${e.basis ? ` (${esc(e.basis)})` : ''}.`;
  // How sure the pick is (docs/confidence.md).
  if (typeof r.slo_confidence === 'number') {
    s += ` <strong data-testid="rec-confidence">${sig(r.slo_confidence * 100, 3)}% likely</strong> to meet the objective.`;
  }
  if (typeof r.pick_flips_at_error_pct === 'number') {
    s += ` The pick changes if every prediction is off by ${sig(r.pick_flips_at_error_pct, 3)}%.`;
  } else if ('pick_flips_at_error_pct' in r) {
    s += ' No uniform prediction error below 50% changes the pick.';
  }
  return s ? `<p class="accuracy">${s}</p>` : '';
}

function contextHtml(plan) {
  const c = plan.context || {};
  const parts = [];
  if (c.catalog) parts.push(`catalog <strong>${esc(c.catalog)}</strong>`);
  parts.push(`prices as of <strong>${esc(c.prices_as_of || 'unknown')}</strong>`);
  if (c.tool) parts.push(`${esc(c.tool)} ${esc(c.version || '')}`);
  if (c.generated_on) parts.push(`generated ${esc(c.generated_on)}`);
  return `<p class="context">${parts.join(' · ')}</p>`;
}

function warningsHtml(plan) {
  const w = plan.warnings || [];
  if (!w.length) return '';
  return `<details class="warnings" ${w.length <= 3 ? 'open' : ''}><summary>${pl(w.length, 'warning')}</summary><ul>${w.map(x => `<li>${esc(x)}</li>`).join('')}</ul></details>`;
}

function renderRecommendation(plan, online) {
  const el = $('#recommendation');
  const r = plan.recommendation;
  const cands = plan.candidates || [];
  let h = '';
  if (!r) {
    const reasons = [...new Set(cands.map(c => c.rejected_because).filter(Boolean))].slice(0, 4);
    h += `<div class="rec-head"><span class="badge bad">No pick</span><h2 class="rec-instance none" data-testid="rec-instance">No instance qualifies</h2>`;
    h += `<p class="rec-sub">None of the ${pl(cands.length, 'candidate')} meets the objective${online ? '' : ' within the constraints'}. Relax the objective, allow another catalog or precision, or raise the price cap.</p></div>`;
    if (reasons.length) h += `<ul class="reasons">${reasons.map(x => `<li>${esc(x)}</li>`).join('')}</ul>`;
  } else {
    const basis = r.price_basis ? ` ${esc(r.price_basis)}` : '';
    h += `<div class="rec-head"><span class="badge ok">Cheapest that meets the objective</span>`;
    h += `<h2 class="rec-instance" data-testid="rec-instance">${esc(r.instance)}</h2>`;
    const split = online
      ? `TP ${esc(r.tensor_parallel ?? 1)} · ${pl(r.replicas_per_instance ?? 1, 'replica')} per instance`
      : `TP ${esc(r.tensor_parallel ?? 1)} × ${pl(r.replicas ?? 1, 'replica')}`;
    h += `<p class="rec-sub"><span class="gpu">${esc(gpuText(r))}</span> · ${split} · ${usd(r.usd_per_hour)}/h${basis}</p></div><dl class="kpis">`;
    if (online) {
      const inp = plan.inputs || {};
      const pn = pctName(inp.slo_percentile);
      const at = r.at_target || loadPoint(r) || {};
      h += kpi('Fleet cost', `${usd(r.fleet_usd_per_hour)}/h`, `${pl(r.instances, 'instance')} × ${usd(r.usd_per_hour)}/h`);
      h += kpi('Per million tokens', usd(r.usd_per_million_tokens));
      h += kpi(`TTFT ${pn}`, ms(at.ttft_at_percentile_ms), isNum(inp.slo_ttft_ms) ? `objective ≤ ${ms(inp.slo_ttft_ms)}` : 'no objective');
      h += kpi(`TPOT ${pn}`, ms(at.tpot_at_percentile_ms), isNum(inp.slo_tpot_ms) ? `objective ≤ ${ms(inp.slo_tpot_ms)}` : 'no objective');
      h += kpi('Rate per instance', `${sig(at.rate_per_s)} req/s`, `target ${sig(inp.target_rate_per_s)} req/s in all`);
      h += kpi('Max rate per instance', `${sig(r.max_rate_per_instance ?? r.max_rate_per_replica)} req/s`, r.limited_by ? `limited by ${esc(r.limited_by)}` : '');
    } else {
      const slo = plan.inputs?.slo || {};
      h += kpi('Job cost', usd(r.job_cost_usd), `${num(plan.inputs?.workload?.requests)} requests`);
      h += kpi('Job time', hours(r.job_hours), isNum(r.billed_hours) ? `billed ${hours(r.billed_hours)}` : '');
      h += kpi('Predicted throughput', `${num(r.predicted_tps)} tok/s`, isNum(r.predicted_output_tps) ? `${num(r.predicted_output_tps)} output tok/s` : '');
      h += kpi('Objective', isNum(slo.tps) && slo.tps > 0 ? `≥ ${num(slo.tps)} tok/s` : 'none', slo.tps_counts ? esc(slo.tps_counts) : '');
      if (isNum(r.offload_ratio) && r.offload_ratio > 0) h += kpi('KV cache on host', `${sig(r.offload_ratio * 100, 3)}%`, 'offloaded over PCIe');
      if (isNum(r.weight_offload_ratio) && r.weight_offload_ratio > 0) h += kpi('Weights on host', `${sig(r.weight_offload_ratio * 100, 3)}%`);
      const sv = plan.savings_pct?.vs_max_performance;
      if (isNum(sv) && plan.baselines?.max_performance) h += kpi('Saving', `${sig(sv, 3)}%`, `vs the fastest, ${esc(plan.baselines.max_performance.instance)}`);
    }
    h += '</dl>' + accuracyHtml(r);
  }
  h += contextHtml(plan) + warningsHtml(plan);
  el.classList.toggle('none', !r);
  el.innerHTML = h;
}

// --- rendering: candidates table

function renderCandidates(plan, online) {
  const cands = plan.candidates || [];
  const el = $('#candidates');
  if (!cands.length) { el.innerHTML = '<p class="empty">The catalog has no candidate instances for this request.</p>'; return; }
  const pi = pickIndex(cands, plan.recommendation);
  const pn = pctName(plan.inputs?.slo_percentile);
  const head = online
    ? ['#', 'Instance', 'GPUs', '$/h', 'Inst.', 'Fleet $/h', '$/M tok', `TTFT ${pn}`, `TPOT ${pn}`, 'Max req/s', 'Status']
    : ['#', 'Instance', 'GPUs', 'TP × rep.', '$/h', 'Tokens/s', 'Job time', 'Job cost', 'KV offload', 'Status'];
  const numCols = online ? new Set([0, 3, 4, 5, 6, 7, 8, 9]) : new Set([0, 4, 5, 6, 7, 8]);
  let h = `<table><caption>${pl(cands.length, 'candidate')}, ranked; ${cands.filter(c => qualifies(c, online)).length} meet the objective</caption><thead><tr>`;
  h += head.map((t, i) => `<th scope="col"${numCols.has(i) ? ' class="num"' : ''}>${esc(t)}</th>`).join('') + '</tr></thead><tbody>';
  cands.forEach((c, i) => {
    const ok = qualifies(c, online);
    const status = i === pi ? '<span class="badge ok">★ pick</span>'
      : ok ? '<span class="badge meets">meets</span>' : '<span class="badge no">rejected</span>';
    let cells;
    if (online) {
      const at = loadPoint(c) || {};
      cells = [i + 1, esc(c.instance), esc(gpuText(c)), usd(c.usd_per_hour), num(c.instances),
        usd(c.fleet_usd_per_hour), usd(c.usd_per_million_tokens), ms(at.ttft_at_percentile_ms),
        ms(at.tpot_at_percentile_ms), sig(c.max_rate_per_instance ?? c.max_rate_per_replica), status];
    } else {
      cells = [i + 1, esc(c.instance), esc(gpuText(c)), `${esc(c.tensor_parallel ?? 1)} × ${esc(c.replicas ?? 1)}`,
        usd(c.usd_per_hour), num(c.predicted_tps), hours(c.job_hours), usd(c.job_cost_usd),
        isNum(c.offload_ratio) ? sig(c.offload_ratio * 100, 2) + '%' : '–', status];
    }
    const why = ok ? '' : c.rejected_because || 'does not meet the objective';
    const cls = (i === pi ? 'pick' : ok ? 'ok' : 'rejected') + (why ? ' has-reason' : '');
    h += `<tr class="${cls}" data-instance="${esc(c.instance)}">` + cells.map((v, j) => j === 1 ? `<th scope="row">${v}</th>` : `<td${numCols.has(j) ? ' class="num"' : ''}>${v}</td>`).join('') + '</tr>';
    if (why) h += `<tr class="reason rejected"><td></td><td colspan="${head.length - 1}">${esc(why)}</td></tr>`;
  });
  el.innerHTML = h + '</tbody></table>';
}

// --- rendering: cost chart

function renderCostChart(plan, online) {
  const el = $('#cost-chart');
  const cands = plan.candidates || [];
  const pi = pickIndex(cands, plan.recommendation);
  const points = [];
  let opts;
  let frontier = [];   // the plan's Pareto frontier (docs/formats.md), drawn as a dashed line
  if (online) {
    const inp = plan.inputs || {};
    const obj = onlineObjective(inp);
    const pn = pctName(inp.slo_percentile);
    cands.forEach((c, i) => {
      const at = loadPoint(c);
      const xv = at?.[obj.key + '_at_percentile_ms'];
      const yv = c.fleet_usd_per_hour ?? c.usd_per_hour;
      if (!isNum(xv) || !isNum(yv) || yv <= 0 || xv <= 0) return;
      const ok = qualifies(c, true);
      const where = c.at_target ? `at ${sig(c.at_target.rate_per_s)} req/s per instance` : c.at_max_rate ? 'at its max rate' : 'at light load';
      points.push({ x: xv, y: yv, pick: i === pi, cls: i === pi ? 'pick' : ok ? 'q' : 'nq', label: i === pi ? c.instance : '',
        title: `${c.instance} (${gpuText(c)}): ${obj.name} ${pn} ${ms(xv)} ${where}; ${isNum(c.fleet_usd_per_hour) ? `fleet ${usd(c.fleet_usd_per_hour)}/h (${num(c.instances)} × ${usd(c.usd_per_hour)}/h)` : `${usd(c.usd_per_hour)}/h per instance`}; ${ok ? 'meets the objective' : c.rejected_because || 'does not meet the objective'}${i === pi ? ' — the pick' : ''}` });
    });
    const xs = points.map(p => p.x), ys = points.map(p => p.y);
    frontier = (plan.frontier || []).map(f => ({ x: f[obj.key + '_at_percentile_ms'], y: f.fleet_usd_per_hour,
      title: `${f.instance}: Pareto frontier, ${usd(f.fleet_usd_per_hour)}/h` })).filter(p => isNum(p.x) && p.x > 0);
    opts = {
      title: `Fleet cost per hour against ${obj.name} ${pn}, one point per candidate`,
      xLabel: `${obj.name} ${pn} at the target rate (ms${wantsLog([...xs, obj.limit]) ? ', log' : ''})`,
      yLabel: `Fleet USD per hour${wantsLog(ys) ? ' (log)' : ''}`,
      xLog: wantsLog([...xs, obj.limit]), yLog: wantsLog(ys), points,
      vlines: isNum(obj.limit) ? [{ x: obj.limit, label: `objective ${ms(obj.limit)}` }] : [],
      shade: isNum(obj.limit) ? { to: obj.limit } : null, yFmt: v => '$' + short(v),
    };
  } else {
    const slo = plan.inputs?.slo?.tps;
    cands.forEach((c, i) => {
      if (!isNum(c.predicted_tps) || !isNum(c.job_cost_usd) || c.predicted_tps <= 0) return;
      const ok = qualifies(c, false);
      points.push({ x: c.predicted_tps, y: c.job_cost_usd, pick: i === pi, cls: i === pi ? 'pick' : ok ? 'q' : 'nq', label: i === pi ? c.instance : '',
        title: `${c.instance} (${gpuText(c)}, ${usd(c.usd_per_hour)}/h): ${num(c.predicted_tps)} tok/s, job ${usd(c.job_cost_usd)} in ${hours(c.job_hours)}; ${ok ? 'meets the objective' : c.rejected_because || 'does not meet the objective'}${i === pi ? ' — the pick' : ''}` });
    });
    const hasSlo = isNum(slo) && slo > 0;
    const ys = points.map(p => p.y);
    const tpsOf = Object.fromEntries(cands.map(c => [c.instance, c.predicted_tps]));
    frontier = (plan.frontier || []).map(f => ({ x: tpsOf[f.instance], y: f.job_cost_usd,
      title: `${f.instance}: Pareto frontier, ${usd(f.job_cost_usd)} in ${hours(f.job_hours)}` })).filter(p => isNum(p.x));
    opts = {
      title: 'Job cost against predicted throughput, one point per candidate that can run',
      xLabel: 'Predicted throughput, tokens/s (log)', yLabel: `Job cost, USD${wantsLog(ys) ? ' (log)' : ''}`,
      xLog: true, yLog: wantsLog(ys), points,
      vlines: hasSlo ? [{ x: slo, label: `objective ${num(slo)} tok/s` }] : [],
      shade: hasSlo ? { from: slo } : null, yFmt: v => '$' + short(v),
    };
  }
  if (!points.length) { el.innerHTML = '<p class="empty">No candidate can run this model, so there is nothing to plot.</p>'; return; }
  opts.width = el.clientWidth;
  frontier.sort((a, b) => a.x - b.x);
  if (frontier.length) opts.lines = [{ cls: 'frontier', pts: frontier, title: 'Pareto frontier' }];
  el.innerHTML = chart(opts) + legend([['pick', 'the pick'], ['q', 'meets the objective'], ['nq', 'does not meet it'], ['frontier', 'Pareto frontier'], ['obj', 'objective']]) +
    `<p class="note">${points.length} of ${cands.length} candidates can run; hover a point for details.</p>`;
}

// --- rendering: memory

function memBar(parts, total, marker, markerLabel, caption) {
  let h = `<div class="membar" role="img" aria-label="${esc(caption)}">`;
  for (const [v, label, cls] of parts) {
    if (!isNum(v) || v <= 0) continue;
    h += `<span class="mseg ${cls}" style="width:${(v / total * 100).toFixed(2)}%" title="${esc(label)}: ${sig(v, 3)} GiB"></span>`;
  }
  if (isNum(marker)) h += `<span class="marker" style="left:${Math.min(100, marker / total * 100).toFixed(2)}%" title="${esc(markerLabel)}"><span>${esc(markerLabel)}</span></span>`;
  return h + '</div>';
}

function renderMemory(plan, online) {
  const el = $('#memory');
  const r = plan.recommendation;
  if (!r) { el.innerHTML = '<p class="empty">No instance qualifies, so there is no pick to break down.</p>'; return; }
  let h = '';
  const m = r.memory_per_gpu;
  if (m) {
    // weights_gib and kv_cache_gib include the parts offloaded to host memory
    const wHost = m.weights_on_host_gib || 0, kvHost = m.kv_on_host_gib || 0;
    const parts = [[(m.weights_gib || 0) - wHost, 'Weights', 'm-w'], [(m.kv_cache_gib || 0) - kvHost, 'KV cache', 'm-kv'],
      [m.activations_gib, 'Activations', 'm-act'], [m.reserve_gib, 'Reserve', 'm-res']];
    const used = parts.reduce((a, [v]) => a + (isNum(v) && v > 0 ? v : 0), 0);
    const total = Math.max(m.gpu_memory_gib || 0, m.usable_gib || 0, used) || 1;
    h += `<p>Per GPU on <strong>${esc(r.instance)}</strong> (${esc(gpuText(r))}): <strong>${sig(used, 3)} GiB</strong> of the <strong>${sig(m.usable_gib, 3)} GiB</strong> the engine may use, out of ${sig(m.gpu_memory_gib, 3)} GiB on the GPU.</p>`;
    h += memBar(parts, total, m.usable_gib, `usable ${sig(m.usable_gib, 3)} GiB`, `GPU memory: ${sig(used, 3)} of ${sig(m.usable_gib, 3)} GiB usable`);
    h += '<ul class="legend mem">' + parts.map(([v, label, cls]) => `<li><span class="key ${cls}" aria-hidden="true"></span>${esc(label)} ${sig(Math.max(0, v ?? 0), 3)} GiB</li>`).join('') +
      `<li><span class="key m-free" aria-hidden="true"></span>Free ${sig(Math.max(0, (m.usable_gib ?? 0) - used), 3)} GiB</li></ul>`;
    const host = wHost + kvHost, gpus = r.gpu_count || 1, all = host * gpus;
    if (host > 0) {
      h += `<p>Offloaded to host memory: <strong>${sig(host, 3)} GiB</strong> per GPU${gpus > 1 ? `, ${sig(all, 3)} GiB for all ${gpus} GPUs` : ''}, of the instance's ${sig(m.host_memory_gib, 3)} GiB.</p>`;
      h += memBar([[wHost * gpus, 'Weights on host', 'm-w'], [kvHost * gpus, 'KV cache on host', 'm-kv']], Math.max(m.host_memory_gib || 0, all), null, '', `Host memory: ${sig(all, 3)} GiB offloaded`);
      h += `<ul class="legend mem"><li><span class="key m-w" aria-hidden="true"></span>Weights on host ${sig(wHost * gpus, 3)} GiB</li><li><span class="key m-kv" aria-hidden="true"></span>KV cache on host ${sig(kvHost * gpus, 3)} GiB</li></ul>`;
    }
  }
  if (online || isNum(r.kv_cache_tokens_per_replica)) {
    const inp = plan.inputs || {};
    const kv = r.kv_cache_tokens_per_replica;
    const perReq = (inp.mean_prompt_tokens || 0) + (inp.mean_output_tokens || 0);
    const fit = perReq > 0 && isNum(kv) ? Math.floor(kv / perReq) : null;
    const maxSeq = r.max_sequences;
    h += `<p>KV cache per replica: <strong>${num(kv)} tokens</strong>${r.replicas_per_instance > 1 ? ` (${esc(r.replicas_per_instance)} replicas per instance)` : ''}.`;
    if (fit !== null) h += ` A mean request grows to ${num(perReq)} tokens, so about <strong>${num(fit)} requests</strong> fit at once at full length`;
    if (isNum(maxSeq)) h += `${fit !== null ? ';' : ''} the engine runs at most ${num(maxSeq)} sequences at once`;
    h += '.</p>';
    if (fit !== null && isNum(maxSeq) && maxSeq > 0) {
      const need = maxSeq * perReq, total = Math.max(need, kv);
      h += memBar([[kv, 'KV cache capacity', 'm-kv']], total, need, `${num(maxSeq)} full-length sequences: ${short(need)} tokens`,
        `KV cache: ${num(kv)} tokens, ${num(need)} needed for ${num(maxSeq)} full-length sequences`);
      h += `<ul class="legend mem"><li><span class="key m-kv" aria-hidden="true"></span>KV capacity ${short(kv)} tokens</li><li><span class="key m-mark" aria-hidden="true"></span>${num(maxSeq)} sequences × ${num(perReq)} tokens</li></ul>`;
    }
  }
  el.innerHTML = h || '<p class="empty">The plan has no memory breakdown for the pick.</p>';
}

// --- latency sweep (service mode)

async function runLatencySweep(plan, body, mySeq, signal) {
  const card = $('#latency-card'), el = $('#latency-chart');
  const r = plan.recommendation;
  card.hidden = false;
  el.dataset.state = 'running';
  const max = r.max_rate_per_replica || r.max_rate_per_instance || r.at_target?.rate_per_s || body.rate || 1;
  const rates = SWEEP.map(f => +(f * max).toPrecision(3));
  const base = { ...body };
  delete base.top; delete base.emit;
  Object.assign(base, { instance: r.instance, sim_requests: 300 });
  if (isNum(r.tensor_parallel)) base.tp = r.tensor_parallel;
  const results = [];
  let lastErr = '';
  const draw = done => {
    if (mySeq !== seq) return;
    const inp = plan.inputs || {};
    const ok = results.filter(x => x.res);
    const line = key => ok.map(({ rate, res }) => ({ x: rate, y: res[key]?.p99_ms,
      title: `${key.toUpperCase()} at ${sig(rate)} req/s: p50 ${ms(res[key]?.p50_ms)}, p90 ${ms(res[key]?.p90_ms)}, p99 ${ms(res[key]?.p99_ms)}; completion ${sig((res.completion_ratio ?? 1) * 100, 3)}%` }))
      .filter(p => isNum(p.y) && p.y > 0);
    const ttft = line('ttft'), tpot = line('tpot');
    const vlines = [];
    if (isNum(r.at_target?.rate_per_s)) vlines.push({ x: r.at_target.rate_per_s, label: `target ${sig(r.at_target.rate_per_s)} req/s`, cls: 'marker-line' });
    const hlines = [];
    if (isNum(inp.slo_ttft_ms)) hlines.push({ y: inp.slo_ttft_ms, label: `TTFT objective ${ms(inp.slo_ttft_ms)}` });
    if (isNum(inp.slo_tpot_ms)) hlines.push({ y: inp.slo_tpot_ms, label: `TPOT objective ${ms(inp.slo_tpot_ms)}`, cls: 'objective alt' });
    let h = '';
    if (ttft.length || tpot.length) {
      h += chart({ width: el.clientWidth, title: `${r.instance}: TTFT and TPOT p99 against request rate`, xLabel: 'Requests per second per instance', xZero: true,
        yLabel: 'Latency p99, ms (log)', yLog: true, yFmt: v => short(v), xFmt: v => sig(v, 3),
        points: [], lines: [{ pts: ttft, cls: 's-ttft', title: 'TTFT p99' }, { pts: tpot, cls: 's-tpot', title: 'TPOT p99' }], vlines, hlines });
      h += legend([['s-ttft', 'TTFT p99'], ['s-tpot', 'TPOT p99'], ['obj', 'objective'], ['mk', 'target rate']]);
    }
    const note = done
      ? `Simulated ${ok.length} of ${rates.length} rates (300 requests each) on one ${esc(r.instance)}, from 0.2× to 1.2× its max rate of ${sig(max)} req/s.`
      : `Simulating ${results.length + 1} of ${rates.length} rates…`;
    h += `<p class="note">${note}${lastErr ? ` <span class="err">Some simulations failed: ${esc(lastErr)}</span>` : ''}</p>`;
    el.innerHTML = h;
    if (done) el.dataset.state = ok.length ? 'done' : 'error';
  };
  redrawLatency = () => draw(results.length === rates.length);
  draw(false);
  for (const rate of rates) {
    try {
      const res = await post('/v1/simulate', { ...base, rate }, signal);
      results.push({ rate, res: typeof res === 'object' ? res : null });
    } catch (e) {
      if (e.name === 'AbortError' || mySeq !== seq) return;
      lastErr = e.message;
      results.push({ rate, res: null });
    }
    if (mySeq !== seq) return;
    draw(results.length === rates.length);
  }
}

// --- deploy snippet

async function loadDeploy() {
  const pre = $('#deploy-snippet'), box = $('#deploy');
  if (!last) return;
  if (!last.rec) { pre.textContent = 'No instance qualifies, so there is nothing to deploy.'; pre.classList.remove('err'); box.dataset.state = 'empty'; return; }
  const fmt = $('#deploy-format').value;
  const mySeq = seq;
  pre.textContent = `Fetching the ${fmt} snippet…`;
  pre.classList.remove('err');
  box.dataset.state = 'loading';
  try {
    const body = { ...last.body, emit: fmt };
    delete body.top;
    const text = await post('/v1/plan', body, inflight?.signal);
    if (mySeq !== seq) return;
    pre.textContent = typeof text === 'string' ? text : JSON.stringify(text, null, 2);
    box.dataset.state = 'done';
  } catch (e) {
    if (e.name === 'AbortError' || mySeq !== seq) return;
    pre.textContent = `No ${fmt} snippet: ${e.message}`;
    pre.classList.add('err');
    box.dataset.state = 'error';
  }
}

async function copySnippet() {
  const text = $('#deploy-snippet').textContent;
  const status = $('#copy-status');
  let ok = false;
  try {
    await navigator.clipboard.writeText(text);
    ok = true;
  } catch {
    const ta = document.createElement('textarea');
    ta.value = text;
    ta.setAttribute('readonly', '');
    ta.style.cssText = 'position:fixed;top:0;left:0;opacity:0';
    document.body.append(ta);
    ta.select();
    try { ok = document.execCommand('copy'); } catch { ok = false; }
    ta.remove();
  }
  if (!ok) {
    const range = document.createRange();
    range.selectNodeContents($('#deploy-snippet'));
    const sel = getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }
  status.textContent = ok ? 'Copied.' : 'Selected: press Ctrl+C to copy.';
  setTimeout(() => { status.textContent = ''; }, 3000);
}

// --- submit

function setBusy(busy, text = '') {
  const btn = $('#submit');
  btn.disabled = busy;
  btn.textContent = busy ? 'Planning…' : 'Plan';
  form.setAttribute('aria-busy', busy ? 'true' : 'false');
  $('#results').classList.toggle('busy', busy);
  $('#status').textContent = text;
}

async function submit() {
  clearErrors();
  const { body, errors } = buildBody();
  if (Object.keys(errors).length) {
    for (const [k, msg] of Object.entries(errors)) if (!showFieldError(k, msg)) showGeneralError(msg);
    return;
  }
  const p = stateParams();
  history.replaceState(null, '', p.toString() ? '?' + p : location.pathname);

  inflight?.abort();
  const ctl = new AbortController();
  inflight = ctl;
  const mySeq = ++seq;
  const rec = $('#recommendation');
  rec.dataset.state = 'loading';
  const online = 'rate' in body || 'slo_ttft_ms' in body || 'slo_tpot_ms' in body;
  setBusy(true, online ? 'Simulating every candidate…' : 'Planning…');
  const timer = setTimeout(() => ctl.abort(), PLAN_TIMEOUT_MS);
  let plan;
  try {
    plan = await post('/v1/plan', body, ctl.signal);
    if (typeof plan !== 'object' || !plan) throw httpError(200, '', 'The server answered with something that is not a plan.');
  } catch (e) {
    if (mySeq !== seq) return;
    clearTimeout(timer);
    setBusy(false);
    rec.dataset.state = 'error';
    rec.dataset.seq = String(mySeq);
    $('#results').classList.add('stale');
    if (e.name === 'AbortError') showGeneralError('The plan took too long and was cancelled. Try fewer simulated requests.');
    else if (!showFieldError(e.field, e.message)) showGeneralError(e.message);
    return;
  }
  clearTimeout(timer);
  if (mySeq !== seq) return;
  setBusy(false);
  $('#results').classList.remove('stale');
  const isOnline = plan.mode === 'online' || online;
  last = { body, plan, online: isOnline, rec: plan.recommendation || null };
  document.body.dataset.result = isOnline ? 'service' : 'batch';
  rec.dataset.seq = String(mySeq);
  try {
    renderRecommendation(plan, isOnline);
    renderCandidates(plan, isOnline);
    renderCostChart(plan, isOnline);
    renderMemory(plan, isOnline);
  } catch (e) {
    rec.dataset.state = 'error';
    showGeneralError('Could not display the plan: ' + e.message);
    return;
  }
  rec.dataset.state = 'done';
  rec.dataset.pick = plan.recommendation?.instance || '';
  const lat = $('#latency-chart');
  if (isOnline && plan.recommendation) {
    runLatencySweep(plan, body, mySeq, ctl.signal);
  } else {
    $('#latency-card').hidden = true;
    redrawLatency = null;
    lat.innerHTML = '';
    lat.dataset.state = 'idle';
  }
  loadDeploy();
}

// --- start-up

async function loadChoices() {
  const modelSel = field('model'), engineSel = field('engine');
  const [models, engines] = await Promise.allSettled([getJSON('/v1/models'), getJSON('/v1/engines')]);
  if (models.status === 'fulfilled') {
    const cur = modelSel.value;
    const list = [...(models.value.models || [])].sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
    modelSel.replaceChildren(...list.map(m => {
      const o = new Option(`${m.name}${m.parameters ? ` · ${params(m.parameters)}` : ''}`, m.name);
      o.title = [m.family, m.experts > 1 ? `${m.experts} experts` : '', m.context_len ? `context ${num(m.context_len)}` : ''].filter(Boolean).join(', ');
      return o;
    }));
    ensureOption(modelSel, cur);
    modelSel.value = cur;
  }
  if (engines.status === 'fulfilled') {
    const cur = engineSel.value;
    engineSel.replaceChildren(...(engines.value.engines || []).map(e => {
      const o = new Option(e.name, e.name);
      o.title = e.description || '';
      return o;
    }));
    ensureOption(engineSel, cur);
    engineSel.value = cur;
  }
  if (models.status === 'rejected' || engines.status === 'rejected') {
    $('#status').textContent = 'Could not load the model or engine lists; the defaults still work.';
  }
}

async function init() {
  for (const el of form.querySelectorAll('[name]:not([name="mode"])')) {
    const slot = document.createElement('span');
    slot.className = 'field-error';
    slot.id = 'err-' + el.name;
    el.parentElement.append(slot);
  }
  for (const name of [...COMMON, ...BATCH, ...SERVICE]) defaults[name] = readValue(field(name));
  setMode('batch');
  const params0 = new URLSearchParams(location.search);
  const any = applyParams(params0);
  form.addEventListener('submit', e => { e.preventDefault(); submit(); });
  for (const r of form.querySelectorAll('input[name="mode"]')) r.addEventListener('change', () => setMode(mode()));
  form.addEventListener('input', e => {
    const name = e.target.name;
    if (!name) return;
    const slot = $('#err-' + CSS.escape(name));
    if (slot && slot.textContent) { slot.textContent = ''; e.target.removeAttribute('aria-invalid'); }
  });
  $('#deploy-format').addEventListener('change', loadDeploy);
  $('#copy').addEventListener('click', copySnippet);
  let resizeTimer = 0, lastWidth = innerWidth;
  addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      if (innerWidth === lastWidth || !last) return;
      lastWidth = innerWidth;
      renderCostChart(last.plan, last.online);
      redrawLatency?.();
    }, 200);
  });
  await loadChoices();
  document.body.dataset.ready = 'true';
  if (any) submit();
}

init();
