import { client, unwrap } from "../../api/client.js";
import type { TestResult } from "../../api/types.js";
import { ErrorBanner } from "../../app/ErrorBanner.js";
import { formatDuration } from "../../app/format.js";
import { StatusBadge } from "../../app/Status.js";
import { useResource } from "../../app/useResource.js";

const ORDER: Record<TestResult["status"], number> = { failed: 0, error: 1, flaky: 2, passed: 3, skipped: 4 };
const failing = (t: TestResult) => t.status === "failed" || t.status === "error";

export function testCounts(tests: readonly TestResult[]) {
  return {
    total: tests.length,
    failed: tests.filter(failing).length,
    passed: tests.filter((t) => t.status === "passed").length,
    flaky: tests.filter((t) => t.status === "flaky").length,
    skipped: tests.filter((t) => t.status === "skipped").length,
    durationMs: tests.reduce((sum, t) => sum + t.durationMs, 0),
  };
}

/** The run's JUnit results: counts, then each failure with its message and stack, then every test. */
export function TestsTab({ runId, version }: { runId: string; version: string }) {
  const tests = useResource(
    (signal) => unwrap(client.GET("/api/runs/{id}/tests", { params: { path: { id: runId } }, signal })),
    `${runId}:${version}`,
  );
  const all = [...(tests.data ?? [])].sort(
    (a, b) => ORDER[a.status] - ORDER[b.status] || b.durationMs - a.durationMs,
  );
  const counts = testCounts(all);
  const failures = all.filter(failing);
  if (tests.error) return <ErrorBanner error={tests.error} />;
  if (tests.data === undefined) return <p className="page-note">Loading test results…</p>;
  if (all.length === 0)
    return (
      <p className="page-note">
        No test results. A job reports them with <code>reports: {"{ junit: path }"}</code> in slipway.yaml.
      </p>
    );
  return (
    <div className="tests-tab" data-testid="tests-tab">
      <ul className="counts" aria-label="Test counts">
        <li>
          <strong>{counts.total}</strong> tests
        </li>
        <li className="count-failure">
          <strong>{counts.failed}</strong> failed
        </li>
        <li className="count-success">
          <strong>{counts.passed}</strong> passed
        </li>
        {counts.flaky > 0 && (
          <li className="count-waiting">
            <strong>{counts.flaky}</strong> flaky
          </li>
        )}
        <li className="count-skipped">
          <strong>{counts.skipped}</strong> skipped
        </li>
        <li>
          <strong>{formatDuration(counts.durationMs)}</strong> in total
        </li>
      </ul>
      {failures.length > 0 && (
        <section aria-labelledby="failures-title">
          <h2 id="failures-title" className="section-title">
            Failures
          </h2>
          {failures.map((t, index) => (
            <details key={`${t.jobKey}/${t.suite}/${t.name}/${index}`} className="failure" open={index < 10}>
              <summary>
                <StatusBadge status={t.status} /> <span className="test-name">{t.name}</span>{" "}
                <span className="muted small">
                  {t.suite} · {t.jobKey} · {formatDuration(t.durationMs)}
                </span>
              </summary>
              {t.message !== undefined && <p className="failure-message">{t.message}</p>}
              {t.details !== undefined && <pre className="stack">{t.details}</pre>}
              {t.file !== undefined && <p className="muted small">{t.file}</p>}
            </details>
          ))}
        </section>
      )}
      <section aria-labelledby="all-tests-title">
        <h2 id="all-tests-title" className="section-title">
          All tests
        </h2>
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Status</th>
              <th scope="col">Test</th>
              <th scope="col">Suite</th>
              <th scope="col">Job</th>
              <th scope="col" className="num">
                Duration
              </th>
            </tr>
          </thead>
          <tbody>
            {all.map((t, index) => (
              <tr key={`${t.jobKey}/${t.suite}/${t.name}/${index}`}>
                <td>
                  <StatusBadge status={t.status} />
                </td>
                <td>
                  {t.name}
                  {t.attempts > 1 && <span className="muted small"> ({t.attempts} attempts)</span>}
                </td>
                <td>{t.suite}</td>
                <td>{t.jobKey}</td>
                <td className="num">{formatDuration(t.durationMs)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </div>
  );
}
