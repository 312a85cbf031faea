/* 疑似非城管事项 and 转办 in the console. Intake's classifier states how likely a report's text is
   an urban-management matter (`in_remit`) and, when it thinks not, which other channel it
   suspects (`suspected_channel`); such a case waits in triage until a clerk refers it there
   (the action with a "channel" field) or accepts it as usual. A referred case names its channel
   (`channel_code`) and the reply the citizen was given (its timeline row's `reply`). */
import { html } from "../shared/html.js";

/** A share (0–1) as a percentage, to one decimal where it has one. */
export const percent = (p) => `${(Math.round(p * 1000) / 10).toFixed(1).replace(/\.0$/, "")}%`;

/** Whether `c` waits in triage with another channel suspected and no clerk has taken it up. */
export const isSuspected = (c, workflow) =>
  Boolean(c.suspected_channel) && !c.channel_code && c.status === workflow.triage;

/** The action among `actions` that refers a case: the one asking for a channel. */
export const referralAction = (actions) =>
  actions.find((a) => a.fields.some((f) => f.kind === "channel"));

/** The 「疑似非城管事项 · 渠道」 badge of a suspected case, or nothing. `names`: code → name. */
export function remitBadge(c, workflow, names) {
  if (!isSuspected(c, workflow)) return "";
  const name = c.suspected_channel_name_zh || names.get(c.suspected_channel) || c.suspected_channel;
  return html`<span class="badge remit" data-remit="${c.suspected_channel}"
    >疑似非城管事项 · ${name}</span
  >`;
}

/** The timeline row that referred `c` to its channel (the last one naming it). */
function referral(c) {
  const rows = (c.timeline || []).filter((e) => e.data && e.data.channel === c.channel_code);
  return rows[rows.length - 1];
}

/** The remit facts of a case detail: its <dt>/<dd> pairs (none for a case without them). */
export function remitFacts(c, workflow) {
  const facts = [];
  if (c.in_remit != null)
    facts.push(
      html`<dt>城管事项概率</dt>
        <dd data-fact="in_remit">${percent(c.in_remit)}</dd>`,
    );
  if (c.suspected_channel && !c.channel_code)
    facts.push(
      html`<dt>疑似转办渠道</dt>
        <dd data-fact="suspected_channel">
          ${c.suspected_channel_name_zh || c.suspected_channel}${
            isSuspected(c, workflow) ? "" : html` <span class="muted">（已按城管事项受理）</span>`
          }
        </dd>`,
    );
  if (c.channel_code) {
    const row = referral(c);
    const reply = row ? (row.data && row.data.reply) || row.note : "";
    facts.push(
      html`<dt>转办渠道</dt>
        <dd data-fact="channel">${c.channel_name_zh || c.channel_code}</dd>
        <dt>答复市民</dt>
        <dd data-fact="reply">${reply || "—"}</dd>`,
    );
  }
  return facts;
}

/** The note above a suspected case's actions: what the model thinks, and the two ways on. */
export function remitNotice(c, workflow) {
  if (!isSuspected(c, workflow)) return "";
  const p = c.in_remit != null ? percent(c.in_remit) : "—";
  return html`<div class="remit-note">
    <b>疑似非城管事项</b>：分类模型判断此诉求属于城管事项的概率为 ${p}，疑似应由
    <b>${c.suspected_channel_name_zh || c.suspected_channel}</b>
    办理。可转办并答复市民；如确属城管事项，按常规受理办理即可。
  </div>`;
}
