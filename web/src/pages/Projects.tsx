import { Link } from "react-router";
import { client, unwrap } from "../api/client.js";
import { useAuth } from "../app/auth.js";
import { ErrorBanner } from "../app/ErrorBanner.js";
import { formatTime } from "../app/format.js";
import { useTitle } from "../app/Layout.js";
import { refusal } from "../app/roles.js";
import { useResource } from "../app/useResource.js";

export function ProjectsPage() {
  useTitle("Projects");
  const { who, can } = useAuth();
  const projects = useResource((signal) => unwrap(client.GET("/api/projects", { signal })), "projects");
  return (
    <section aria-labelledby="projects-title">
      <div className="page-head">
        <h1 id="projects-title">Projects</h1>
      </div>
      <ErrorBanner error={projects.error} />
      <table className="table">
        <thead>
          <tr>
            <th scope="col">Project</th>
            <th scope="col">Repository</th>
            <th scope="col">Default branch</th>
            <th scope="col">Added</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {(projects.data ?? []).map((p) => (
            <tr key={p.name}>
              <td>
                <Link to={`/runs?project=${encodeURIComponent(p.name)}`}>{p.name}</Link>
              </td>
              <td>
                <code className="wrap">{p.repo}</code>
              </td>
              <td>{p.defaultBranch}</td>
              <td title={formatTime(p.createdAt)}>
                {new Date(p.createdAt).toLocaleDateString()} by {p.createdBy || "?"}
              </td>
              <td className="actions">
                {can("developer", p.name) ? (
                  <Link className="button" to={`/projects/${encodeURIComponent(p.name)}/trigger`}>
                    Run pipeline
                  </Link>
                ) : (
                  <button type="button" className="button" disabled title={refusal(who, "developer", p.name)}>
                    Run pipeline
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {projects.data?.length === 0 && (
        <p className="page-note">
          No projects yet. An admin adds one with{" "}
          <code>slipway project add NAME --repo PATH_OR_URL --server URL --token TOKEN</code>.
        </p>
      )}
    </section>
  );
}
