import { z } from "zod";
import type { EngineEvent } from "../pipeline/events.js";
import type { DriftCheck, DriftStatus, Store } from "../store/index.js";
import {
  DRIFT_REPORT_KIND,
  PLAN_REPORT_KIND,
  driftStepReportSchema,
  planStepReportSchema,
  workspaceDriftSchema,
} from "../terraform/index.js";
import { audit } from "./api.js";
import type { RouteRequest, Router } from "./http.js";
import { needProject, onProject } from "./terraform-state-http.js";

/*
 * Drift status per project, directory and workspace. Jobs report what their terraform-drift and
 * terraform-plan steps found as step.report events, in the batches their agent sends under the
 * job's lease: the project is the lease's, never one the report names, so a pipeline can only
 * mark its own project. No token reaches the job for this.
 */

/** The job a batch is for, as its lease says. */
export interface ReportingJob {
  runId: string;
  jobKey: string;
  project: string;
}

const reportSchema = workspaceDriftSchema.pick({
  changedOutside: true,
  configurationChanges: true,
  outputs: true,
});

const driftEntrySchema = z.object({
  dir: z.string().meta({ description: "The configuration directory, relative to the repository's root." }),
  workspace: z.string(),
  drifted: z.boolean(),
  since: z.number().meta({ description: "When the current status began (epoch ms)." }),
  checkedAt: z.number().meta({ description: "When the last check that counted was made (epoch ms)." }),
  checkedBy: z.enum([DRIFT_REPORT_KIND, PLAN_REPORT_KIND]),
  run: z.object({ id: z.string(), number: z.number().nullable() }),
  job: z.string(),
  report: reportSchema
    .nullable()
    .meta({ description: "What the last drift check found; null once a plan without changes cleared it." }),
});

const projectDriftSchema = z.object({
  project: z.string(),
  drifted: z.boolean().meta({ description: "Some directory and workspace of the project has drifted." }),
  workspaces: z.array(driftEntrySchema),
});

function entryView(status: DriftStatus): z.infer<typeof driftEntrySchema> {
  let report: z.infer<typeof reportSchema> | null = null;
  if (status.report !== undefined) {
    const parsed = reportSchema.safeParse(JSON.parse(status.report));
    if (parsed.success) report = parsed.data;
  }
  return {
    dir: status.dir,
    workspace: status.workspace,
    drifted: status.drifted,
    since: status.since,
    checkedAt: status.checkedAt,
    checkedBy: status.checkedBy,
    run: { id: status.runId, number: status.runNumber ?? null },
    job: status.jobKey,
    report,
  };
}

export function terraformDriftRoutes(router: Router, options: { store: Store }): void {
  const { store } = options;
  router.add({
    method: "GET",
    url: "/api/projects/:name/drift",
    summary:
      "Drift status of the project's Terraform directories and workspaces, as its drift checks and plans reported it",
    access: onProject("developer"),
    params: z.object({ name: z.string() }),
    response: projectDriftSchema,
    handler: async ({ params }) => {
      await needProject(store, params.name);
      const workspaces = (await store.terraform.drift.list(params.name)).map(entryView);
      return { project: params.name, drifted: workspaces.some((w) => w.drifted), workspaces };
    },
  });
}

/**
 * Records the drift checks and plans among a batch's events. Applying one twice (a batch sent
 * again after an error) changes nothing. A change of status goes to the audit log, as the
 * agent that reported it, with the run.
 */
export async function recordTerraformReports(
  store: Store,
  job: ReportingJob,
  events: readonly EngineEvent[],
  request: Pick<RouteRequest, "principal" | "raw">,
): Promise<void> {
  let run: { number: number | undefined } | undefined;
  for (const event of events) {
    if (event.type !== "step.report") continue;
    const checks = checksOf(event, job);
    if (checks.length === 0) continue;
    run ??= { number: (await store.getRun(job.runId))?.number };
    const runNumber = run.number;
    for (const check of checks) {
      const outcome = await store.terraform.drift.record({ ...check, runNumber });
      if (outcome.kind !== "changed") continue;
      const { previous, current } = outcome;
      await audit(
        store,
        request,
        "terraform.drift-status",
        `${job.project}/${current.dir}@${current.workspace}`,
        job.project,
        {
          dir: current.dir,
          workspace: current.workspace,
          from: previous === undefined ? null : previous.drifted ? "drifted" : "clean",
          to: current.drifted ? "drifted" : "clean",
          by: current.checkedBy,
          run: job.runId,
          runNumber: runNumber ?? null,
          job: job.jobKey,
        },
      );
    }
  }
}

/** The checks a report event holds; a report of another kind, or malformed, holds none. */
function checksOf(event: Extract<EngineEvent, { type: "step.report" }>, job: ReportingJob): DriftCheck[] {
  const base = {
    project: job.project,
    at: event.at,
    runId: job.runId,
    runNumber: undefined,
    jobKey: job.jobKey,
  };
  if (event.kind === DRIFT_REPORT_KIND) {
    const parsed = driftStepReportSchema.safeParse(event.body);
    if (!parsed.success) return [];
    return parsed.data.workspaces.map((w) => ({
      ...base,
      source: DRIFT_REPORT_KIND,
      dir: parsed.data.dir,
      workspace: w.workspace,
      drifted: w.drifted,
      report: JSON.stringify({
        changedOutside: w.changedOutside,
        configurationChanges: w.configurationChanges,
        outputs: w.outputs,
      }),
    }));
  }
  if (event.kind === PLAN_REPORT_KIND) {
    const parsed = planStepReportSchema.safeParse(event.body);
    if (!parsed.success) return [];
    return [
      {
        ...base,
        source: PLAN_REPORT_KIND,
        dir: parsed.data.dir,
        workspace: parsed.data.workspace,
        hasChanges: parsed.data.hasChanges,
      },
    ];
  }
  return [];
}
