import type { paths } from "./schema.js";

/** The JSON a GET route answers with, by its path in the OpenAPI document. */
type Ok<P extends keyof paths> = paths[P] extends {
  get: { responses: { 200: { content: { "application/json": infer T } } } };
}
  ? T
  : never;

export type Whoami = Ok<"/api/whoami">;
export type Role = Whoami["role"];
export type Project = Ok<"/api/projects">[number];
export type Run = Ok<"/api/runs">[number];
export type RunDetail = Ok<"/api/runs/{id}">;
export type Job = RunDetail["jobs"][number];
export type Step = Job["steps"][number];
export type LogLine = Ok<"/api/runs/{id}/logs">[number];
export type TestResult = Ok<"/api/runs/{id}/tests">[number];
export type Artifact = Ok<"/api/runs/{id}/artifacts">[number];
export type Agent = Ok<"/api/agents">[number];
export type AuditEntry = Ok<"/api/audit">[number];
export type RunStatus = Run["status"];
export type JobStatus = Job["status"];
