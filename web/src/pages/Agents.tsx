import { Link } from "react-router";
import { client, unwrap } from "../api/client.js";
import { ErrorBanner } from "../app/ErrorBanner.js";
import { formatAgo, formatTime } from "../app/format.js";
import { useTitle } from "../app/Layout.js";
import { useNow, useResource } from "../app/useResource.js";

/** Agents heartbeat every few seconds while they hold a lease or wait for one. */
const ONLINE_MS = 60_000;

export function AgentsPage() {
  useTitle("Agents");
  const now = useNow();
  const agents = useResource((signal) => unwrap(client.GET("/api/agents", { signal })), "agents", 3_000);
  return (
    <section aria-labelledby="agents-title">
      <div className="page-head">
        <h1 id="agents-title">Agents</h1>
        <span className="live-note">{agents.error ? "not updating" : "updating live"}</span>
      </div>
      <ErrorBanner error={agents.error} />
      <table className="table" data-testid="agents">
        <thead>
          <tr>
            <th scope="col">Agent</th>
            <th scope="col">Labels</th>
            <th scope="col">Current job</th>
            <th scope="col">Last heartbeat</th>
            <th scope="col">First seen</th>
          </tr>
        </thead>
        <tbody>
          {(agents.data ?? []).map((agent) => {
            const online = now - agent.lastSeenAt < ONLINE_MS;
            return (
              <tr key={agent.id}>
                <td>
                  <span className={`status status-${online ? "success" : "skipped"}`}>
                    <span className="status-dot" aria-hidden="true" />
                    {online ? "online" : "offline"}
                  </span>{" "}
                  {agent.name}
                </td>
                <td>
                  {agent.labels.length > 0 ? (
                    agent.labels.map((label) => (
                      <span key={label} className="tag">
                        {label}
                      </span>
                    ))
                  ) : (
                    <span className="muted">none</span>
                  )}
                </td>
                <td>
                  {agent.current.length === 0 ? (
                    <span className="muted">idle</span>
                  ) : (
                    <ul className="plain-list">
                      {agent.current.map((job) => (
                        <li key={`${job.runId}/${job.jobKey}`}>
                          <Link
                            to={`/runs/${encodeURIComponent(job.runId)}?job=${encodeURIComponent(job.jobKey)}`}
                          >
                            {job.project} #{job.runNumber} · {job.jobKey}
                          </Link>
                          {job.attempt > 1 && <span className="muted small"> attempt {job.attempt}</span>}
                        </li>
                      ))}
                    </ul>
                  )}
                </td>
                <td title={formatTime(agent.lastSeenAt)}>{formatAgo(agent.lastSeenAt, now)}</td>
                <td>{formatTime(agent.firstSeenAt)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {agents.data?.length === 0 && (
        <p className="page-note">
          No agent has connected yet. Start one with{" "}
          <code>slipway agent --server URL --token AGENT_TOKEN</code>, or start the server with{" "}
          <code>--runners N</code>.
        </p>
      )}
    </section>
  );
}
