import { useState } from "react";
import { client, download, unwrap } from "../../api/client.js";
import { ErrorBanner } from "../../app/ErrorBanner.js";
import { formatBytes } from "../../app/format.js";
import { useResource } from "../../app/useResource.js";

export function ArtifactsTab({ runId, version }: { runId: string; version: string }) {
  const artifacts = useResource(
    (signal) => unwrap(client.GET("/api/runs/{id}/artifacts", { params: { path: { id: runId } }, signal })),
    `${runId}:${version}`,
  );
  const [error, setError] = useState<unknown>(undefined);
  if (artifacts.error) return <ErrorBanner error={artifacts.error} />;
  if (artifacts.data === undefined) return <p className="page-note">Loading artifacts…</p>;
  if (artifacts.data.length === 0)
    return (
      <p className="page-note">
        No artifacts. A job keeps files with <code>artifacts: [paths]</code> in slipway.yaml.
      </p>
    );
  return (
    <div>
      <ErrorBanner error={error} onDismiss={() => setError(undefined)} />
      <table className="table" data-testid="artifacts">
        <thead>
          <tr>
            <th scope="col">File</th>
            <th scope="col">Job</th>
            <th scope="col" className="num">
              Size
            </th>
            <th scope="col">
              <span className="visually-hidden">Download</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {artifacts.data.map((a) => {
            const query = new URLSearchParams({ job: a.jobKey, path: a.path });
            const url = `/api/runs/${encodeURIComponent(runId)}/artifacts/file?${query.toString()}`;
            const name = a.path.split("/").at(-1) ?? a.path;
            return (
              <tr key={`${a.jobKey}/${a.path}`}>
                <td>
                  <code>{a.path}</code>
                </td>
                <td>{a.jobKey}</td>
                <td className="num">{formatBytes(a.sizeBytes)}</td>
                <td className="actions">
                  <a
                    className="button"
                    href={url}
                    download={name}
                    onClick={(event) => {
                      // The link names the file; the click fetches it with the session's token.
                      event.preventDefault();
                      setError(undefined);
                      download(url, name).catch(setError);
                    }}
                  >
                    Download
                  </a>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
