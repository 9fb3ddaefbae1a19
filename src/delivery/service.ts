import { access, rename, rm } from "node:fs/promises";
import path from "node:path";
import type { Registry } from "prom-client";
import { YamlSource } from "../config/yaml-source.js";
import { ConfigError, UsageError } from "../errors/index.js";
import { loadNativeSlos } from "../reliability/load-native.js";
import type { Slo } from "../reliability/model.js";
import type { DeploymentRecord, ReleaseRecord, Store } from "../store/index.js";
import { loadDeliveryConfig, parseListen } from "./config.js";
import { RolloutControl } from "./control.js";
import { HostsTarget } from "./hosts-target.js";
import type { ApplyResult, SyncStatus } from "../kubernetes/sync.js";
import type { KubernetesTarget } from "../kubernetes/target.js";
import { reapOrphans } from "./hosts/orphans.js";
import type { DeliveryConfig, EnvironmentConfig, Release } from "./model.js";
import { checkProtection } from "./protection.js";
import { releaseChecksum, unpackRelease } from "./release-files.js";
import { runRollout } from "./rollout.js";
import type { RolloutEvent, RolloutMode } from "./rollout.js";
import type { DeployTarget } from "./target.js";

export interface DeliveryServiceOptions {
  store: Store;
  /** Releases are unpacked under `<dataDir>/releases`, instance logs kept under `<dataDir>/instances`. */
  dataDir: string;
  /** The proxies' per-release metrics are registered here. */
  registry: Registry;
  onError(error: unknown, context: string): void;
  /** Things an operator should know that are not errors. */
  onNotice(message: string): void;
}

export interface NewRelease {
  service: string;
  version: string;
  /** slipway.yaml's text: the service's configuration and analysis templates are read from it. */
  configText: string;
  configFile: string;
  /** The release's files as a gzip tar. */
  archive: Buffer;
  commit?: string;
  branch?: string;
  committedAt?: number;
}

export interface NewDeployment {
  service: string;
  environment: string;
  version: string;
  mode?: RolloutMode;
  overrideReason?: string;
  runId?: string;
}

/** What the store keeps of an environment: its configuration and the SLOs its gate judges. */
interface StoredEnvironment {
  environment: EnvironmentConfig;
  slos: Slo[];
}

interface Active {
  deployment: DeploymentRecord;
  control: RolloutControl;
  done: Promise<void>;
}

/** An error the API answers with a status: the deployment cannot be made as asked. */
export class DeliveryConflict extends UsageError {}

/** How often the server looks for environments due a self-heal. */
const SELF_HEAL_TICK_MS = 1_000;

/** One service of an environment on Kubernetes, against the release it runs. */
export interface EnvironmentSync {
  service: string;
  release: string | null;
  state: "compared" | "not deployed" | "deploying";
  status?: SyncStatus;
  /** What a heal applied again. */
  healed?: ApplyResult[];
}

/**
 * Runs deployments on a server: keeps environments as operators set them and releases as
 * developers upload them, checks an environment's protection, waits for approval, runs the
 * strategy against the environment's target and records every step. One deployment at a time
 * per service and environment.
 */
export class DeliveryService {
  readonly #options: DeliveryServiceOptions;
  readonly #targets = new Map<string, Promise<DeployTarget>>();
  readonly #active = new Map<string, Active>();
  #healTimer: NodeJS.Timeout | undefined;
  /** Environments on Kubernetes with `self-heal:`, and when each was last healed. */
  readonly #selfHealDue = new Map<
    string,
    { project: string; environment: string; every: number; last: number }
  >();
  /** Sync comparisons and heals in flight, by service and environment. */
  readonly #syncing = new Map<string, Promise<unknown>>();

  constructor(options: DeliveryServiceOptions) {
    this.#options = options;
  }

  get #store() {
    return this.#options.store.deliveries;
  }

  /** Sets the environments declared in slipway.yaml's text; returns their names. */
  async applyEnvironments(project: string, text: string, file: string, by: string): Promise<string[]> {
    const { config, source } = parseDelivery(text, file);
    const slos = source.toJS() as { slos?: unknown };
    const loaded =
      slos.slos === undefined ? { slos: [], diagnostics: [] } : loadNativeSlos(slos.slos, source, ["slos"]);
    if (loaded.diagnostics.length > 0) throw new ConfigError(loaded.diagnostics);
    const names = Object.keys(config.environments);
    if (names.length === 0) {
      throw new UsageError(`${file} declares no environments`, { hint: "add an environments: section" });
    }
    for (const [name, environment] of Object.entries(config.environments)) {
      const stored: StoredEnvironment = { environment, slos: loaded.slos };
      await this.#store.putEnvironment(project, name, stored, by);
    }
    this.#scheduleSelfHeal(project, config.environments);
    return names;
  }

  async environments(project: string): Promise<
    {
      name: string;
      config: EnvironmentConfig;
      services: { service: string; current: string | undefined; url: string }[];
    }[]
  > {
    const stored = await this.#store.environments(project);
    return Promise.all(
      stored.map(async (e) => {
        const { environment } = e.config as StoredEnvironment;
        const services = await Promise.all(
          Object.entries(environment.services).map(async ([service, s]) => ({
            service,
            current: await this.#store.currentVersion(project, e.name, service),
            url: environment.kubernetes
              ? `http://${service}.${environment.kubernetes.namespace}.svc`
              : `http://${s.listen ?? "?"}`,
          })),
        );
        return { name: e.name, config: environment, services };
      }),
    );
  }

  /**
   * The drift of an environment on Kubernetes from the releases it runs, per service, as Argo CD
   * shows it (Synced / OutOfSync with the fields, health); with `heal`, what drifted is applied
   * again. A service being deployed right now is reported as such, not compared.
   */
  async environmentSync(
    project: string,
    name: string,
    options: { heal?: boolean } = {},
  ): Promise<EnvironmentSync[]> {
    const { environment } = await this.#environment(project, name);
    if (!environment.kubernetes) {
      throw new UsageError(
        `environment ${name} runs on hosts: sync status is for environments on Kubernetes`,
      );
    }
    const result: EnvironmentSync[] = [];
    for (const service of Object.keys(environment.services)) {
      const version = await this.#store.currentVersion(project, name, service);
      const record = version && (await this.#store.release(project, service, version));
      if (!record) {
        result.push({ service, release: null, state: "not deployed" });
        continue;
      }
      const key = activeKey(project, name, service);
      if (this.#active.has(key)) {
        result.push({ service, release: record.version, state: "deploying" });
        continue;
      }
      // Registered in the same tick as the check: a deployment starting now waits for it (#start).
      const compared = this.#compare(project, environment, record, options.heal === true);
      this.#syncing.set(key, compared);
      try {
        result.push(await compared);
      } finally {
        this.#syncing.delete(key);
      }
    }
    return result;
  }

  /**
   * Creates a release: unpacks its files and keeps its configuration. A version is immutable:
   * the same files and configuration again find the existing release, different ones are refused.
   */
  async createRelease(
    project: string,
    input: NewRelease,
    by: string,
  ): Promise<{ release: ReleaseRecord; created: boolean }> {
    const { config } = parseDelivery(input.configText, input.configFile);
    const service = config.services[input.service];
    if (!service) {
      throw new UsageError(`${input.configFile} declares no service "${input.service}"`, {
        hint: `known: ${Object.keys(config.services).join(", ") || "none"}`,
      });
    }
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(input.version)) {
      throw new UsageError(`invalid release version "${input.version}"`, {
        hint: "letters, digits, '.', '_' and '-', e.g. v1.4.2 or a commit's short hash",
      });
    }
    const analysis = Object.fromEntries(Object.entries(config.analysis));
    const dir = this.#releaseDir(project, input.service, input.version);
    const existing = await this.#store.release(project, input.service, input.version);
    const scratch = `${dir}.upload-${Date.now()}`;
    await unpackRelease(input.archive, scratch);
    const checksum = await releaseChecksum(scratch, { service, analysis });
    if (existing) {
      await rm(scratch, { recursive: true, force: true });
      if (existing.checksum !== checksum) {
        throw new DeliveryConflict(
          `release ${input.service} ${input.version} exists with other files or configuration`,
          {
            hint: "a release is immutable: give the new build a new version",
          },
        );
      }
      return { release: existing, created: false };
    }
    if (await exists(dir)) await rm(dir, { recursive: true, force: true });
    await rename(scratch, dir);
    const outcome = await this.#store.createRelease({
      project,
      service: input.service,
      version: input.version,
      checksum,
      commit: input.commit,
      committedAt: input.committedAt,
      branch: input.branch,
      createdBy: by,
      body: { config: service, analysis },
    });
    return { release: outcome.release, created: outcome.kind === "created" };
  }

  /**
   * Starts a deployment, or records it as blocked (branch, freeze, budget) or waiting for
   * approval. Resolves once it is recorded; the strategy runs on in the background.
   */
  async deploy(project: string, input: NewDeployment, by: string): Promise<DeploymentRecord> {
    const stored = await this.#environment(project, input.environment);
    const { environment } = stored;
    if (!environment.services[input.service]) {
      throw new UsageError(`environment ${input.environment} does not run service ${input.service}`, {
        hint: `add it under environments.${input.environment}.services and apply the environments again`,
      });
    }
    const release = await this.#store.release(project, input.service, input.version);
    if (!release) {
      throw new UsageError(`no release ${input.service} ${input.version}`, {
        hint: "create it first: slipway release create",
      });
    }
    const key = activeKey(project, input.environment, input.service);
    const busy = this.#active.get(key);
    if (busy) {
      throw new DeliveryConflict(
        `deployment ${busy.deployment.id} of ${input.service} to ${input.environment} is still ${busy.deployment.status}`,
        { hint: "wait for it, or abort it" },
      );
    }
    const current = await this.#store.currentVersion(project, input.environment, input.service);
    const mode = input.mode ?? "deploy";
    const deployment = await this.#store.createDeployment({
      project,
      environment: input.environment,
      service: input.service,
      fromVersion: current,
      toVersion: input.version,
      mode,
      createdBy: by,
      runId: input.runId,
      overrideReason: input.overrideReason,
    });
    const control = new RolloutControl();
    const active: Active = { deployment, control, done: Promise.resolve() };
    this.#active.set(key, active);
    try {
      await this.#event(deployment, "created", {
        by,
        from: current ?? null,
        to: input.version,
        mode,
        commit: release.commit ?? null,
        committedAt: release.committedAt ?? null,
        runId: input.runId ?? null,
      });
      // A rollback returns to what ran before: it is not held by a freeze or a spent budget.
      if (mode === "deploy") {
        const decision = await checkProtection({
          environment,
          branch: release.branch,
          now: new Date(),
          slos: { slos: stored.slos, sources: new Map() },
          ...(input.overrideReason ? { overrideReason: input.overrideReason } : {}),
        });
        if (!decision.allowed) {
          const reason = decision.reasons.join("; ");
          await this.#event(deployment, "blocked", { reasons: decision.reasons });
          await this.#finish(deployment, "blocked", reason);
          this.#active.delete(key);
          return { ...deployment, status: "blocked", reason };
        }
        if (decision.overridden) {
          await this.#event(deployment, "overridden", {
            reasons: decision.reasons,
            overrideReason: input.overrideReason,
          });
        }
      }
      if (environment.approval && mode === "deploy") {
        const role = environment.approval.role;
        const reason = `waiting for approval by ${role === "developer" ? "a" : "an"} ${role}`;
        await this.#store.setDeploymentStatus(deployment.id, "pending", reason);
        await this.#event(deployment, "waiting", { reason, role: environment.approval.role });
        deployment.reason = reason;
        return deployment;
      }
    } catch (error) {
      this.#active.delete(key);
      throw error;
    }
    this.#start(active, release, stored);
    return { ...deployment, status: "progressing" };
  }

  /** The role an approver needs for a deployment waiting for approval; undefined when none waits. */
  async approvalRole(id: string): Promise<"developer" | "operator" | "admin" | undefined> {
    const active = this.#byId(id);
    if (!active || active.deployment.status !== "pending") return undefined;
    const stored = await this.#environment(active.deployment.project, active.deployment.environment);
    return stored.environment.approval?.role;
  }

  async approve(id: string, by: string, comment?: string): Promise<DeploymentRecord> {
    const active = this.#byId(id);
    if (!active || active.deployment.status !== "pending") {
      throw new DeliveryConflict(`deployment ${id} is not waiting for approval`);
    }
    const { deployment } = active;
    const release = await this.#store.release(deployment.project, deployment.service, deployment.toVersion);
    if (!release) throw new UsageError(`release ${deployment.toVersion} is gone`);
    const stored = await this.#environment(deployment.project, deployment.environment);
    await this.#event(deployment, "approved", { by, comment: comment ?? null });
    this.#start(active, release, stored);
    return { ...deployment, status: "progressing" };
  }

  promote(id: string, full: boolean): DeploymentRecord {
    const active = this.#needRunning(id);
    active.control.promote({ full });
    return active.deployment;
  }

  async abort(id: string, by: string, reason?: string): Promise<DeploymentRecord> {
    const active = this.#byId(id);
    if (!active) throw new DeliveryConflict(`deployment ${id} is not running`);
    const why = `aborted by ${by}${reason ? `: ${reason}` : ""}`;
    if (active.deployment.status === "pending") {
      // Not started: nothing to take back.
      await this.#event(active.deployment, "finished", { outcome: "aborted", reason: why });
      await this.#finish(active.deployment, "aborted", why);
      this.#active.delete(
        activeKey(active.deployment.project, active.deployment.environment, active.deployment.service),
      );
      return { ...active.deployment, status: "aborted", reason: why };
    }
    active.control.abort(why);
    await active.done;
    return (await this.#store.deployment(id)) ?? active.deployment;
  }

  /** Deploys the release that ran before the current one, at once: no pauses, no analysis. */
  async rollback(
    project: string,
    service: string,
    environment: string,
    by: string,
  ): Promise<DeploymentRecord> {
    const history = await this.#store.deployments({ project, environment, service, limit: 200 });
    const succeeded = history.filter((d) => d.status === "succeeded");
    const current = succeeded[0]?.toVersion;
    const previous = succeeded.find((d) => d.toVersion !== current)?.toVersion;
    if (!current || !previous) {
      throw new DeliveryConflict(`${service} in ${environment} has no earlier release to roll back to`);
    }
    return this.deploy(project, { service, environment, version: previous, mode: "rollback" }, by);
  }

  /** Resolves when the deployment is no longer running here (for tests and the CLI's --wait). */
  async settled(id: string): Promise<void> {
    await this.#byId(id)?.done;
  }

  /**
   * After a restart: deployments left running are failed (their processes went with the old
   * server), and each environment's current release is started again.
   */
  async #compare(
    project: string,
    environment: EnvironmentConfig,
    record: ReleaseRecord,
    heal: boolean,
  ): Promise<EnvironmentSync> {
    const release = this.#release(record);
    const target = (await this.#target(project, environment, record.service)) as KubernetesTarget;
    const instances = this.#instances(environment, release);
    const healed = heal ? await target.heal(release, instances) : undefined;
    const status = await target.syncStatus(release, instances);
    return {
      service: record.service,
      release: record.version,
      state: "compared",
      status,
      ...(healed ? { healed } : {}),
    };
  }

  /**
   * Environments on Kubernetes with `self-heal:` are healed at that interval, each heal that
   * changed something audited as `environment.heal` by `system:self-heal`.
   */
  #startSelfHeal(): void {
    let busy = false;
    this.#healTimer = setInterval(() => {
      if (busy || this.#selfHealDue.size === 0) return;
      busy = true;
      void this.#selfHealRound().finally(() => (busy = false));
    }, SELF_HEAL_TICK_MS);
    this.#healTimer.unref();
  }

  /** Which of a project's environments heal themselves, from the environments just stored. */
  #scheduleSelfHeal(project: string, environments: Record<string, EnvironmentConfig>): void {
    for (const [key, due] of this.#selfHealDue) if (due.project === project) this.#selfHealDue.delete(key);
    for (const [name, environment] of Object.entries(environments)) {
      const every = environment.kubernetes?.selfHealMs;
      if (every !== undefined) {
        this.#selfHealDue.set(activeKey(project, name, ""), { project, environment: name, every, last: 0 });
      }
    }
  }

  async #selfHealRound(): Promise<void> {
    for (const due of this.#selfHealDue.values()) {
      if (Date.now() - due.last < due.every) continue;
      due.last = Date.now();
      const where = `${due.project}/${due.environment}`;
      try {
        const services = await this.environmentSync(due.project, due.environment, { heal: true });
        const healed = services.flatMap((s) => (s.healed ?? []).map((h) => `${h.object} ${h.action}`));
        if (healed.length === 0) continue;
        await this.#options.store.control.appendAudit({
          actor: "system:self-heal",
          action: "environment.heal",
          target: due.environment,
          project: due.project,
          source: "",
          details: { healed },
        });
        this.#options.onNotice(`self-heal of ${where}: ${healed.join(", ")}`);
      } catch (error) {
        this.#options.onError(error, `self-heal of ${where}`);
      }
    }
  }

  async restore(): Promise<void> {
    const reaped = await reapOrphans(path.join(this.#options.dataDir, "instances"));
    if (reaped > 0) this.#options.onNotice(`stopped ${reaped} instance(s) a previous server left running`);
    for (const d of await this.#store.unfinished()) {
      await this.#event(d, "finished", {
        outcome: "failed",
        reason: "the server stopped during the deployment",
      });
      await this.#finish(d, "failed", "the server stopped during the deployment");
    }
    const projects = await this.#options.store.control.listProjects();
    for (const project of projects) {
      const environments = await this.#store.environments(project.name);
      this.#scheduleSelfHeal(
        project.name,
        Object.fromEntries(environments.map((e) => [e.name, (e.config as StoredEnvironment).environment])),
      );
      for (const e of environments) {
        const stored = e.config as StoredEnvironment;
        for (const service of Object.keys(stored.environment.services)) {
          const version = await this.#store.currentVersion(project.name, e.name, service);
          const record = version && (await this.#store.release(project.name, service, version));
          if (!record) continue;
          try {
            const target = await this.#target(project.name, stored.environment, service);
            const release = this.#release(record);
            await target.resume(release, this.#instances(stored.environment, release));
          } catch (error) {
            this.#options.onError(error, `restoring ${service} ${version} in ${e.name}`);
          }
        }
      }
    }
    this.#startSelfHeal();
  }

  async close(): Promise<void> {
    clearInterval(this.#healTimer);
    for (const active of this.#active.values()) active.control.abort("the server is stopping");
    await Promise.all([...this.#active.values()].map((a) => a.done));
    const targets = await Promise.allSettled(this.#targets.values());
    await Promise.all(targets.map((t) => (t.status === "fulfilled" ? t.value.shutdown() : undefined)));
  }

  #start(active: Active, record: ReleaseRecord, stored: StoredEnvironment): void {
    const { deployment, control } = active;
    const key = activeKey(deployment.project, deployment.environment, deployment.service);
    active.deployment = { ...deployment, status: "progressing" };
    active.done = (async () => {
      let events = Promise.resolve();
      try {
        // A heal in flight finishes first: it would put back the objects the strategy changes.
        await this.#syncing.get(key)?.catch(() => undefined);
        await this.#store.setDeploymentStatus(deployment.id, "progressing");
        const target = await this.#target(deployment.project, stored.environment, deployment.service);
        const release = this.#release(record);
        const stableRecord = deployment.fromVersion
          ? await this.#store.release(deployment.project, deployment.service, deployment.fromVersion)
          : undefined;
        const result = await runRollout({
          target,
          environment: deployment.environment,
          release,
          stable: stableRecord ? this.#release(stableRecord) : undefined,
          instances: this.#instances(stored.environment, release),
          control,
          mode: deployment.mode,
          record: (event: RolloutEvent) => {
            // Events are stored in the order they happen, one after the other.
            events = events.then(() => this.#onEvent(active, event));
          },
        });
        await events;
        await this.#finish(deployment, result.outcome, result.reason);
      } catch (error) {
        await events.catch(() => undefined);
        const reason = `the deployment could not run: ${(error as Error).message}`;
        await this.#event(deployment, "finished", { outcome: "failed", reason });
        await this.#finish(deployment, "failed", reason);
      } finally {
        this.#active.delete(key);
      }
    })().catch((error: unknown) => this.#options.onError(error, `deployment ${deployment.id}`));
  }

  async #onEvent(active: Active, event: RolloutEvent): Promise<void> {
    const { type, ...body } = event;
    await this.#event(active.deployment, type, body);
    if (type === "paused" && !("durationMs" in body)) {
      active.deployment = { ...active.deployment, status: "paused" };
      await this.#store.setDeploymentStatus(active.deployment.id, "paused", event.reason);
    } else if (type === "resumed") {
      active.deployment = { ...active.deployment, status: "progressing" };
      await this.#store.setDeploymentStatus(active.deployment.id, "progressing");
    }
  }

  async #event(deployment: DeploymentRecord, type: string, body: Record<string, unknown>): Promise<void> {
    await this.#store.appendEvent(deployment.id, type, body);
  }

  /**
   * Records the outcome, and audits it: what an environment runs changed (or was kept) by the
   * server itself, e.g. an automatic rollback, not by the request that started the deployment.
   */
  async #finish(deployment: DeploymentRecord, status: string, reason?: string): Promise<void> {
    await this.#store.setDeploymentStatus(deployment.id, status, reason, true);
    await this.#options.store.control.appendAudit({
      actor: "server:delivery",
      action: "deployment.finish",
      target: deployment.id,
      project: deployment.project,
      source: "server",
      details: {
        service: deployment.service,
        environment: deployment.environment,
        from: deployment.fromVersion ?? null,
        to: deployment.toVersion,
        status,
        ...(reason ? { reason } : {}),
      },
    });
  }

  #byId(id: string): Active | undefined {
    return [...this.#active.values()].find((a) => a.deployment.id === id);
  }

  #needRunning(id: string): Active {
    const active = this.#byId(id);
    if (!active || active.deployment.status === "pending") {
      throw new DeliveryConflict(`deployment ${id} is not running`, {
        hint: "slipway deployments lists them",
      });
    }
    return active;
  }

  async #environment(project: string, name: string): Promise<StoredEnvironment> {
    const found = (await this.#store.environments(project)).find((e) => e.name === name);
    if (!found) {
      throw new UsageError(`project ${project} has no environment ${name}`, {
        hint: "an operator declares environments with slipway env apply slipway.yaml",
      });
    }
    return found.config as StoredEnvironment;
  }

  #release(record: ReleaseRecord): Release {
    const body = record.body as Pick<Release, "config" | "analysis">;
    return {
      service: record.service,
      version: record.version,
      dir: this.#releaseDir(record.project, record.service, record.version),
      checksum: record.checksum,
      ...(record.commit ? { commit: record.commit } : {}),
      ...(record.committedAt ? { committedAt: new Date(record.committedAt).toISOString() } : {}),
      config: body.config,
      analysis: body.analysis,
    };
  }

  #instances(environment: EnvironmentConfig, release: Release): number {
    return environment.services[release.service]?.instances ?? release.config.instances;
  }

  #releaseDir(project: string, service: string, version: string): string {
    return path.join(this.#options.dataDir, "releases", project, service, version);
  }

  /** The environment's target for a service, started on first use and kept while the server runs. */
  #target(project: string, environment: EnvironmentConfig, service: string): Promise<DeployTarget> {
    const key = activeKey(project, environment.name, service);
    let target = this.#targets.get(key);
    if (!target) {
      const placement = environment.services[service];
      if (placement && environment.kubernetes) {
        // Loaded when an environment on Kubernetes is first used, not at every server start.
        const k8s = environment.kubernetes;
        target = import("../kubernetes/pod-template.js").then((m) => m.kubernetesTarget(k8s, service));
        this.#targets.set(key, target);
        return target;
      }
      const listen = placement?.listen === undefined ? undefined : parseListen(placement.listen);
      if (!placement || !listen)
        throw new UsageError(`environment ${environment.name} does not run ${service}`);
      const preview = placement.previewListen ? parseListen(placement.previewListen) : undefined;
      target = HostsTarget.start({
        service,
        environment: environment.name,
        listen,
        ...(preview ? { previewListen: preview } : {}),
        hosts: environment.hosts,
        logDir: path.join(this.#options.dataDir, "instances", project, environment.name, service),
        registry: this.#options.registry,
      });
      this.#targets.set(key, target);
      target.catch(() => this.#targets.delete(key));
    }
    return target;
  }
}

function activeKey(project: string, environment: string, service: string): string {
  return JSON.stringify([project, environment, service]);
}

function parseDelivery(text: string, file: string): { config: DeliveryConfig; source: YamlSource } {
  const { source, diagnostics } = YamlSource.parse(file, text);
  if (diagnostics.length > 0) throw new ConfigError(diagnostics);
  const doc = (source.toJS() ?? {}) as { services?: unknown; analysis?: unknown; environments?: unknown };
  const loaded = loadDeliveryConfig(doc, source);
  if (loaded.diagnostics.length > 0) throw new ConfigError(loaded.diagnostics);
  return { config: loaded.config, source };
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}
