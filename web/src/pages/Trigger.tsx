import { useState } from "react";
import type { FormEvent } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { client, unwrap } from "../api/client.js";
import { useAuth } from "../app/auth.js";
import { ErrorBanner } from "../app/ErrorBanner.js";
import { useTitle } from "../app/Layout.js";
import { refusal } from "../app/roles.js";
import { useResource } from "../app/useResource.js";

interface InputRow {
  id: number;
  name: string;
  value: string;
}

/** Starts runs of a project by hand: a ref, optionally one pipeline file and some jobs, and inputs. */
export function TriggerPage() {
  const name = useParams()["name"] ?? "";
  useTitle(`Run ${name}`);
  const { who, can } = useAuth();
  const navigate = useNavigate();
  const project = useResource(
    (signal) => unwrap(client.GET("/api/projects/{name}", { params: { path: { name } }, signal })),
    name,
  );
  const [ref, setRef] = useState("");
  const [file, setFile] = useState("");
  const [jobs, setJobs] = useState("");
  const [inputs, setInputs] = useState<InputRow[]>([]);
  const [nextId, setNextId] = useState(1);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const [skipped, setSkipped] = useState<{ file: string; reason: string }[]>([]);
  const allowed = can("developer", name);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    setSkipped([]);
    try {
      const result = await unwrap(
        client.POST("/api/projects/{name}/runs", {
          params: { path: { name } },
          body: {
            ...(ref.trim() ? { ref: ref.trim() } : {}),
            ...(file.trim() ? { file: file.trim() } : {}),
            jobs: jobs
              .split(/[\s,]+/)
              .map((j) => j.trim())
              .filter(Boolean),
            inputs: Object.fromEntries(
              inputs.filter((i) => i.name.trim()).map((i) => [i.name.trim(), i.value]),
            ),
          },
        }),
      );
      const first = result.runs[0];
      if (first !== undefined) void navigate(`/runs/${encodeURIComponent(first.id)}`);
      else setSkipped(result.skipped);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  const update = (id: number, change: Partial<InputRow>) =>
    setInputs((rows) => rows.map((row) => (row.id === id ? { ...row, ...change } : row)));

  return (
    <section aria-labelledby="trigger-title">
      <div className="page-head">
        <h1 id="trigger-title">Run {name}</h1>
        <Link to={`/runs?project=${encodeURIComponent(name)}`}>Runs of {name}</Link>
      </div>
      <ErrorBanner error={project.error} />
      {!allowed && (
        <p className="page-note">You cannot start runs here: {refusal(who, "developer", name)}.</p>
      )}
      <form className="form trigger-form" onSubmit={(e) => void submit(e)}>
        <label htmlFor="trigger-ref">Branch, tag or ref</label>
        <input
          id="trigger-ref"
          value={ref}
          onChange={(e) => setRef(e.target.value)}
          placeholder={project.data?.defaultBranch ?? "default branch"}
        />
        <label htmlFor="trigger-file">Pipeline file</label>
        <input
          id="trigger-file"
          value={file}
          onChange={(e) => setFile(e.target.value)}
          placeholder="every pipeline file of the commit"
        />
        <label htmlFor="trigger-jobs">Jobs</label>
        <input
          id="trigger-jobs"
          value={jobs}
          onChange={(e) => setJobs(e.target.value)}
          placeholder="all (or names separated by commas; the jobs they need come along)"
        />
        <fieldset className="inputs">
          <legend>Inputs</legend>
          {inputs.map((row, index) => (
            <div className="input-row" key={row.id}>
              <input
                aria-label={`Input ${index + 1} name`}
                value={row.name}
                onChange={(e) => update(row.id, { name: e.target.value })}
                placeholder="name"
              />
              <input
                aria-label={`Input ${index + 1} value`}
                value={row.value}
                onChange={(e) => update(row.id, { value: e.target.value })}
                placeholder="value"
              />
              <button
                type="button"
                className="button subtle"
                onClick={() => setInputs((rows) => rows.filter((r) => r.id !== row.id))}
              >
                Remove
              </button>
            </div>
          ))}
          <button
            type="button"
            className="button subtle"
            onClick={() => {
              setInputs((rows) => [...rows, { id: nextId, name: "", value: "" }]);
              setNextId((n) => n + 1);
            }}
          >
            Add input
          </button>
        </fieldset>
        <div>
          <button
            type="submit"
            className="button primary"
            disabled={busy || !allowed}
            title={allowed ? undefined : refusal(who, "developer", name)}
          >
            {busy ? "Starting…" : "Start run"}
          </button>
        </div>
      </form>
      <ErrorBanner error={error} onDismiss={() => setError(undefined)} />
      {skipped.length > 0 && (
        <div className="page-note" role="status">
          <p>No run started:</p>
          <ul>
            {skipped.map((s) => (
              <li key={s.file}>
                {s.file ? <code>{s.file}</code> : "the commit"}: {s.reason}
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
