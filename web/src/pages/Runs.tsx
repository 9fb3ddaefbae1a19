import { Link, useSearchParams } from "react-router";
import { client, unwrap } from "../api/client.js";
import { useAuth } from "../app/auth.js";
import { ErrorBanner } from "../app/ErrorBanner.js";
import { branchOf, elapsed, formatAgo, formatDuration, formatTime, shortSha } from "../app/format.js";
import { useTitle } from "../app/Layout.js";
import { StatusBadge } from "../app/Status.js";
import { useNow, useResource } from "../app/useResource.js";

/** The list follows new runs and status changes by asking again this often. */
const POLL_MS = 2_000;
/** The latest runs that match the filters; the server applies them. */
const LIMIT = 200;

const STATUSES = ["queued", "running", "success", "failure", "cancelled", "interrupted"] as const;
const FILTERS = ["project", "branch", "status", "trigger", "actor"] as const;
type Filter = (typeof FILTERS)[number];

function isStatus(value: string): value is (typeof STATUSES)[number] {
  return (STATUSES as readonly string[]).includes(value);
}

function distinct(values: (string | undefined)[]): string[] {
  return [...new Set(values.filter((v): v is string => v !== undefined && v !== ""))].sort();
}

export function RunsPage() {
  const [params, setParams] = useSearchParams();
  const filters = Object.fromEntries(FILTERS.map((f) => [f, params.get(f) ?? ""])) as Record<Filter, string>;
  useTitle(filters.project ? `Runs of ${filters.project}` : "Runs");
  const { can } = useAuth();
  const now = useNow();

  const projects = useResource((signal) => unwrap(client.GET("/api/projects", { signal })), "projects");
  const runs = useResource(
    (signal) =>
      unwrap(
        client.GET("/api/runs", {
          params: {
            query: {
              limit: LIMIT,
              ...(filters.project ? { project: filters.project } : {}),
              ...(filters.branch ? { branch: filters.branch } : {}),
              ...(isStatus(filters.status) ? { status: filters.status } : {}),
              ...(filters.trigger ? { trigger: filters.trigger } : {}),
              ...(filters.actor ? { actor: filters.actor } : {}),
            },
          },
          signal,
        }),
      ),
    `runs:${FILTERS.map((f) => filters[f]).join("\u0000")}`,
    POLL_MS,
  );
  const all = runs.data ?? [];

  const setFilter = (name: Filter, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    setParams(next, { replace: true });
  };

  return (
    <section aria-labelledby="runs-title">
      <div className="page-head">
        <h1 id="runs-title">Runs</h1>
        <span className="live-note" aria-live="off">
          {runs.error ? "not updating" : "updating live"}
        </span>
        {filters.project && can("developer", filters.project) && (
          <Link className="button primary" to={`/projects/${encodeURIComponent(filters.project)}/trigger`}>
            Run pipeline
          </Link>
        )}
      </div>

      <form className="filters" role="search" aria-label="Filter runs" onSubmit={(e) => e.preventDefault()}>
        <label>
          Project
          <select value={filters.project} onChange={(e) => setFilter("project", e.target.value)}>
            <option value="">all</option>
            {(projects.data ?? []).map((p) => (
              <option key={p.name} value={p.name}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Branch
          <input
            list="runs-branches"
            value={filters.branch}
            onChange={(e) => setFilter("branch", e.target.value)}
            placeholder="any"
          />
          <datalist id="runs-branches">
            {distinct(all.map((r) => branchOf(r.ref))).map((b) => (
              <option key={b} value={b} />
            ))}
          </datalist>
        </label>
        <label>
          Status
          <select value={filters.status} onChange={(e) => setFilter("status", e.target.value)}>
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Trigger
          <select value={filters.trigger} onChange={(e) => setFilter("trigger", e.target.value)}>
            <option value="">any</option>
            {distinct([...all.map((r) => r.trigger), filters.trigger]).map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
        <label>
          Who
          <input
            list="runs-actors"
            value={filters.actor}
            onChange={(e) => setFilter("actor", e.target.value)}
            placeholder="anyone"
          />
          <datalist id="runs-actors">
            {distinct(all.map((r) => r.actor)).map((a) => (
              <option key={a} value={a} />
            ))}
          </datalist>
        </label>
        {FILTERS.some((f) => filters[f]) && (
          <button type="button" className="button subtle" onClick={() => setParams(new URLSearchParams())}>
            Clear filters
          </button>
        )}
      </form>

      <ErrorBanner error={runs.error} />
      <table className="table runs-table" data-testid="runs-table">
        <thead>
          <tr>
            <th scope="col">Status</th>
            <th scope="col">Run</th>
            <th scope="col">Project</th>
            <th scope="col">Branch</th>
            <th scope="col">Commit</th>
            <th scope="col">Trigger</th>
            <th scope="col">Who</th>
            <th scope="col">Started</th>
            <th scope="col" className="num">
              Duration
            </th>
          </tr>
        </thead>
        <tbody>
          {all.map((run) => (
            <tr key={run.id} data-run={run.id}>
              <td>
                <StatusBadge status={run.status} />
              </td>
              <td>
                <Link to={`/runs/${encodeURIComponent(run.id)}`} className="run-link">
                  #{run.number} {run.pipelineName}
                </Link>
                <span className="muted small block">{run.file}</span>
              </td>
              <td>{run.project}</td>
              <td>{branchOf(run.ref)}</td>
              <td>
                <code>{shortSha(run.commit)}</code>
              </td>
              <td>{run.trigger}</td>
              <td>{run.actor}</td>
              <td title={formatTime(run.startedAt ?? run.queuedAt)}>
                {formatAgo(run.startedAt ?? run.queuedAt, now)}
              </td>
              <td className="num">{formatDuration(elapsed(run.startedAt, run.finishedAt, now))}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {runs.data !== undefined && all.length === 0 && (
        <p className="page-note">
          {FILTERS.some((f) => filters[f])
            ? "No run matches these filters."
            : "No runs yet. Start one from a project's page, a push, or slipway run --server."}
        </p>
      )}
      {runs.data === undefined && runs.error === undefined && <p className="page-note">Loading runs…</p>}
    </section>
  );
}
