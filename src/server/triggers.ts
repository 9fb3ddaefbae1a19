import { parse } from "yaml";
import type { Checkouts } from "../pipeline/checkout.js";
import type { ProjectRecord, Store } from "../store/index.js";
import { PIPELINE_FILES } from "../pipeline/locate.js";
import { parseSchedule } from "../pipeline/schedule.js";
import type { TriggerRequest } from "./coordinator.js";

/** How often projects are looked at for polling and schedules. */
export const TRIGGER_EVERY_MS = 5_000;
/** How often the schedules declared on a default branch are read again. */
const CRONS_EVERY_MS = 60_000;

/**
 * Triggers that come from the server itself rather than from a caller: polling a repository for
 * new commits, and cron schedules of the pipelines on the default branch (the `on: schedule` of
 * slipway.yaml and of GitHub workflows). Every server runs this; a delivery id per commit or per fire time makes only
 * one of them start the run.
 */
export class ServerTriggers {
  readonly #lastPoll = new Map<string, number>();
  readonly #crons = new Map<string, { at: number; repo: string; crons: { file: string; cron: string }[] }>();

  constructor(
    private readonly options: {
      store: Store;
      checkouts: Checkouts;
      trigger: (project: ProjectRecord, request: TriggerRequest, actor: string) => Promise<void>;
      onError: (error: unknown, context: string) => void;
    },
  ) {}

  async tick(now = Date.now()): Promise<void> {
    for (const project of await this.options.store.control.listProjects()) {
      await this.#poll(project, now).catch((error: unknown) =>
        this.options.onError(error, `polling ${project.name}`),
      );
      await this.#schedules(project, now).catch((error: unknown) =>
        this.options.onError(error, `schedules of ${project.name}`),
      );
    }
  }

  async #poll(project: ProjectRecord, now: number): Promise<void> {
    if (!project.pollSeconds) return;
    if (now - (this.#lastPoll.get(project.name) ?? 0) < project.pollSeconds * 1000) return;
    this.#lastPoll.set(project.name, now);
    const { store, checkouts } = this.options;
    const branches = await checkouts.branches(project.repo);
    const first = Object.keys(project.polled).length === 0;
    await store.control.setProjectState(project.name, { polled: branches });
    // The first poll learns where branches are; only later moves are pushes.
    if (first) return;
    for (const [branch, sha] of Object.entries(branches)) {
      if (project.polled[branch] === sha) continue;
      if (!(await store.control.firstDelivery(`poll:${project.name}:${branch}:${sha}`, now))) continue;
      await this.options.trigger(
        project,
        {
          event: "push",
          ref: `refs/heads/${branch}`,
          sha,
          inputs: {},
          variables: {},
          actor: "poll",
          jobs: [],
        },
        "poll",
      );
    }
  }

  /**
   * The schedules of the default branch's pipeline files, read again at most once a minute (cron's
   * granularity): a fetch and a git process per workflow every tick would be most of a server's
   * idle work.
   */
  async #cronsOf(
    project: ProjectRecord,
    ref: string,
    now: number,
  ): Promise<{ file: string; cron: string }[]> {
    const cached = this.#crons.get(project.name);
    if (cached && now - cached.at < CRONS_EVERY_MS && cached.repo === project.repo) return cached.crons;
    const { checkouts } = this.options;
    if (!project.pollSeconds) await checkouts.fetch(project.repo).catch(() => undefined);
    const crons: { file: string; cron: string }[] = [];
    // The slipway.yaml a run would use: the first of the names it may have, as discoverPipelines picks.
    for (const file of PIPELINE_FILES) {
      const text = await checkouts.readFile(project.repo, ref, file);
      if (text === undefined) continue;
      for (const cron of scheduleCrons(text)) crons.push({ file, cron });
      break;
    }
    for (const name of await checkouts.listFiles(project.repo, ref, ".github/workflows")) {
      if (!/\.ya?ml$/.test(name)) continue;
      const file = `.github/workflows/${name}`;
      const text = await checkouts.readFile(project.repo, ref, file);
      for (const cron of scheduleCrons(text ?? "")) crons.push({ file, cron });
    }
    this.#crons.set(project.name, { at: now, repo: project.repo, crons });
    return crons;
  }

  async #schedules(project: ProjectRecord, now: number): Promise<void> {
    const { store } = this.options;
    const ref = `refs/heads/${project.defaultBranch}`;
    const crons = await this.#cronsOf(project, ref, now);
    if (crons.length === 0) return;
    const seen = { ...project.schedules };
    let changed = false;
    for (const { file, cron } of crons) {
      const key = `${file} ${cron}`;
      const last = seen[key];
      seen[key] = now;
      changed = true;
      // A schedule seen for the first time starts counting now: no burst for past fire times.
      if (last === undefined) continue;
      let schedule;
      try {
        schedule = parseSchedule({ cron, file });
      } catch (error) {
        this.options.onError(error, `schedule ${cron} in ${file}`);
        continue;
      }
      // After downtime, one run for the missed fire times, as GitHub does.
      const fired = schedule.firesBetween(new Date(last), new Date(now), 100).at(-1);
      if (!fired) continue;
      if (!(await store.control.firstDelivery(`schedule:${project.name}:${key}:${fired.getTime()}`, now)))
        continue;
      await this.options.trigger(
        project,
        { event: "schedule", ref, inputs: {}, variables: {}, actor: "schedule", file, jobs: [] },
        "schedule",
      );
    }
    if (changed) await store.control.setProjectState(project.name, { schedules: seen });
  }
}

/**
 * The cron expressions of a pipeline file's `on.schedule`: slipway.yaml and GitHub workflows
 * spell it the same way (`on: {schedule: [{cron: "..."}]}`). Read without compiling, so a file
 * broken elsewhere keeps its schedule; a bad cron is reported when it is parsed to fire.
 */
export function scheduleCrons(text: string): string[] {
  let document: unknown;
  try {
    document = parse(text);
  } catch {
    return [];
  }
  const on = (document as { on?: unknown } | null)?.on;
  if (!on || typeof on !== "object" || Array.isArray(on)) return [];
  const schedule = (on as { schedule?: unknown }).schedule;
  if (!Array.isArray(schedule)) return [];
  return schedule
    .map((entry) => (entry as { cron?: unknown } | null)?.cron)
    .filter((cron): cron is string => typeof cron === "string");
}
