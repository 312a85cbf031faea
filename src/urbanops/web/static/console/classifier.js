/* The classifier panel of the console (GET /api/v1/classifier): the share of reports the active
   model dispatches without a clerk and the precision its gate was chosen for, the figures of a
   gate chosen on the other half of the evaluation set, how many samples were clerks' decisions,
   and why the newest retrained model was not published. */
import { html } from "../shared/html.js";
import { percent } from "./remit.js";

const fmt = (iso) =>
  iso ? new Date(iso).toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false }) : "—";
const share = (p) => (p == null ? "—" : percent(p));

function gateLine(gate) {
  if (!gate) return html`<b class="gate none">无可用闸门：全部进入人工受理</b>`;
  return html`<b class="gate"
      >自动派遣率 ${share(gate.auto_rate)}（精度目标 ${share(gate.target)}）</b
    >
    <span data-figure="measured"
      >评估集${gate.evaluated ? `（${gate.evaluated} 条）` : ""}精度 ${share(gate.auto_precision)} ·
      非城管事项误派 ${share(gate.out_of_remit_auto)}</span
    >
    <span data-figure="holdout"
      >留出估计：自动派遣率 ${share(gate.holdout_auto_rate)}，精度
      ${share(gate.holdout_auto_precision)}</span
    >`;
}

function modelLine(s) {
  if (s.id == null) return html`<span class="muted">尚无分类模型</span>`;
  const unusable = s.usable === false ? html`（本版本无法加载此模型）` : "";
  return html`<span class="muted"
    >模型 #${s.id}${unusable} · ${fmt(s.created_at)} · 样本 ${s.samples ?? "—"} 条，其中受理员决定
    <b data-figure="clerk_decisions">${s.clerk_decisions ?? 0}</b> 条</span
  >`;
}

/** Fill `el` with the classifier's state; hidden when the caller may not read it. */
export async function classifierPanel(api, el) {
  let s;
  try {
    s = await api("/api/v1/classifier");
  } catch {
    el.hidden = true;
    return;
  }
  const refused = s.refused
    ? html`<p class="refused" data-figure="refused">
        最新训练的模型未发布${s.refused_at ? html`（${fmt(s.refused_at)}）` : ""}：${s.refused}
      </p>`
    : "";
  el.innerHTML = html`<h4>分类模型</h4>
    <div class="figures">${gateLine(s.gate)} ${modelLine(s)}</div>
    ${refused}`;
  el.hidden = false;
}
