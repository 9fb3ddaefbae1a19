import { client, unwrap } from "../api/client.js";
import { useAuth } from "../app/auth.js";
import { ErrorBanner } from "../app/ErrorBanner.js";
import { formatTime } from "../app/format.js";
import { useTitle } from "../app/Layout.js";
import { refusal } from "../app/roles.js";
import { useResource } from "../app/useResource.js";

function detailsText(details: Record<string, unknown>): string {
  return Object.entries(details)
    .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`)
    .join(" ");
}

export function AuditPage() {
  useTitle("Audit log");
  const { who, can } = useAuth();
  const allowed = can("admin", who?.project);
  // Asked even when the role says no: the page shows the server's own answer.
  const audit = useResource(
    (signal) => unwrap(client.GET("/api/audit", { params: { query: { limit: 500 } }, signal })),
    "audit",
    5_000,
  );
  return (
    <section aria-labelledby="audit-title">
      <div className="page-head">
        <h1 id="audit-title">Audit log</h1>
        {who?.project !== undefined && <span className="muted">project {who.project}</span>}
      </div>
      {!allowed && <p className="page-note">The audit log {refusal(who, "admin", who?.project)}.</p>}
      <ErrorBanner error={audit.error} />
      {audit.data !== undefined && (
        <table className="table" data-testid="audit">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">Action</th>
              <th scope="col">Target</th>
              <th scope="col">Project</th>
              <th scope="col">From</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {audit.data.map((entry) => (
              <tr key={entry.id}>
                <td className="nowrap">{formatTime(entry.at)}</td>
                <td>{entry.actor}</td>
                <td>
                  <code>{entry.action}</code>
                </td>
                <td className="wrap">{entry.target}</td>
                <td>{entry.project ?? ""}</td>
                <td>{entry.source ?? ""}</td>
                <td className="wrap small">{detailsText(entry.details)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
