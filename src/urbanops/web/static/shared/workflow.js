/* The case lifecycle as the server states it (GET /api/v1/workflow, from urbanops.cases.workflow):
   status and action labels in both languages, each action's transitions and the fields it asks
   for. Pages hold none of this themselves; what a caller may do on a case now is the case
   detail's `allowed_actions`. */

const label = (spec, lang) => (lang === "en" ? spec.label_en : spec.label_zh);

export class Workflow {
  /** `doc`: the endpoint's JSON, or null when it could not be read (labels fall back). */
  constructor(doc) {
    this.statuses = (doc && doc.statuses) || [];
    this.actions = (doc && doc.actions) || [];
    this.byStatus = new Map(this.statuses.map((s) => [s.code, s]));
    this.byAction = new Map(this.actions.map((a) => [a.code, a]));
  }

  get loaded() {
    return this.statuses.length > 0;
  }

  /** A status in words; `fallback` (e.g. the server's `status_label`) if the code is unknown. */
  statusLabel(code, lang = "zh", fallback = code) {
    const spec = this.byStatus.get(code);
    return spec ? label(spec, lang) : fallback;
  }

  /** An action in words; `fallback` (e.g. a timeline row's own label) if the code is unknown. */
  actionLabel(code, lang = "zh", fallback = code) {
    const spec = this.byAction.get(code);
    return spec ? label(spec, lang) : fallback;
  }

  /** The action's entry ({code, transitions, fields, …}), or undefined. */
  action(code) {
    return this.byAction.get(code);
  }

  /** The status a new case waits in for a clerk (the triage queue's): the registry's first. */
  get triage() {
    return this.statuses.length ? this.statuses[0].code : null;
  }

  /** The statuses in which a stage's clock runs, in the registry's order. */
  stageStatuses(stage) {
    return this.statuses.filter((s) => s.stage === stage).map((s) => s.code);
  }

  /** The stages the statuses name, in order of first appearance. */
  get stages() {
    return [...new Set(this.statuses.map((s) => s.stage).filter(Boolean))];
  }
}

/** A field's label in the page's language. */
export const fieldLabel = label;

/** The workflow document (anonymous, cacheable); an empty Workflow if it cannot be read. */
export async function loadWorkflow() {
  try {
    const r = await fetch("/api/v1/workflow", { credentials: "same-origin" });
    return new Workflow(r.ok ? await r.json() : null);
  } catch {
    return new Workflow(null);
  }
}
