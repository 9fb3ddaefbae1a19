import { execFile } from "node:child_process";
import { createHmac } from "node:crypto";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors/index.js";
import {
  genericWebhook,
  githubWebhook,
  gitlabWebhook,
  signGeneric,
  verifyGeneric,
  verifyGithubSignature,
  verifyGitlabToken,
  type TriggerRequest,
  type WebhookOutcome,
} from "../../src/server/webhooks/index.js";

const run = promisify(execFile);
const FIXTURES = "test/fixtures/webhooks";

async function fixture(name: string): Promise<{ raw: Buffer; json: Record<string, unknown> }> {
  const raw = await readFile(`${FIXTURES}/${name}`);
  return { raw, json: JSON.parse(raw.toString("utf8")) as Record<string, unknown> };
}

function triggered(outcome: WebhookOutcome): TriggerRequest {
  if (outcome.kind !== "trigger") throw new Error(`expected a trigger, got ignored: ${outcome.reason}`);
  return outcome.request;
}

function ignoredReason(outcome: WebhookOutcome): string {
  if (outcome.kind !== "ignored")
    throw new Error(`expected ignored, got a trigger for ${outcome.request.ref}`);
  return outcome.reason;
}

/**
 * A deep copy with fields changed, so each test starts from the untouched fixture. Keys are dotted
 * paths; `undefined` deletes the field.
 */
function edited(json: Record<string, unknown>, changes: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(json);
  for (const [path, value] of Object.entries(changes)) {
    const keys = path.split(".");
    const last = keys.pop() ?? "";
    let target = copy;
    for (const key of keys) target = target[key] as Record<string, unknown>;
    if (value === undefined) delete target[last];
    else target[last] = value;
  }
  return copy;
}

function usageError(action: () => unknown): UsageError {
  try {
    action();
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error("expected a UsageError");
}

describe("verifyGithubSignature", () => {
  it("accepts the example from GitHub's documentation", () => {
    const header = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
    expect(verifyGithubSignature("It's a Secret to Everybody", Buffer.from("Hello, World!"), header)).toBe(
      true,
    );
    expect(
      verifyGithubSignature(
        "It's a Secret to Everybody",
        Buffer.from("Hello, World!"),
        header.toUpperCase().replace("SHA256", "sha256"),
      ),
    ).toBe(true);
  });

  it("accepts a signature computed by openssl over the raw fixture bytes", async () => {
    const { raw } = await fixture("github-push.json");
    const { stdout } = await run("sh", [
      "-c",
      `openssl dgst -sha256 -hmac 'hook secret' -hex < ${FIXTURES}/github-push.json`,
    ]);
    const hex = /([0-9a-f]{64})\s*$/.exec(stdout)?.[1];
    expect(hex).toMatch(/^[0-9a-f]{64}$/);
    expect(verifyGithubSignature("hook secret", raw, `sha256=${hex}`)).toBe(true);
  });

  it("refuses a tampered body, a wrong secret, and missing or malformed headers", async () => {
    const { raw } = await fixture("github-push.json");
    const header = `sha256=${createHmac("sha256", "s3cret").update(raw).digest("hex")}`;
    expect(verifyGithubSignature("s3cret", raw, header)).toBe(true);

    const tampered = Buffer.from(raw.toString("utf8").replace("refs/heads/main", "refs/heads/prod"));
    expect(verifyGithubSignature("s3cret", tampered, header)).toBe(false);
    expect(verifyGithubSignature("other", raw, header)).toBe(false);
    expect(verifyGithubSignature("s3cret", raw, undefined)).toBe(false);
    expect(verifyGithubSignature("s3cret", raw, "")).toBe(false);
    expect(verifyGithubSignature("s3cret", raw, header.replace("sha256=", "sha1="))).toBe(false);
    expect(verifyGithubSignature("s3cret", raw, header.slice(0, -2))).toBe(false);
    expect(verifyGithubSignature("s3cret", raw, `${header}00`)).toBe(false);
    expect(verifyGithubSignature("s3cret", raw, header.replace(/.$/, "g"))).toBe(false);
  });

  it("verifies nothing with an empty secret", () => {
    const body = Buffer.from("{}");
    const header = `sha256=${createHmac("sha256", "").update(body).digest("hex")}`;
    expect(verifyGithubSignature("", body, header)).toBe(false);
  });
});

describe("githubWebhook", () => {
  it("maps a push to the pushed commit, with the repository's identity and clone URLs", async () => {
    const { json } = await fixture("github-push.json");
    const request = triggered(githubWebhook("push", json, "d1a9f0a0-2722-11ef-9b4e-3a1b2c3d4e5f"));
    expect(request).toEqual({
      source: "github",
      event: "push",
      ref: "refs/heads/main",
      sha: "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c",
      actor: "octocat",
      repository: "acme/web-shop",
      repositoryUrls: [
        "https://github.com/acme/web-shop.git",
        "git@github.com:acme/web-shop.git",
        "git://github.com/acme/web-shop.git",
        "https://github.com/acme/web-shop",
      ],
      inputs: {},
      payload: json,
      deliveryId: "d1a9f0a0-2722-11ef-9b4e-3a1b2c3d4e5f",
    });
  });

  it("runs an annotated tag push at the tagged commit, not the tag object", async () => {
    const { json } = await fixture("github-push.json");
    const payload = edited(json, {
      ref: "refs/tags/v1.4.0",
      after: "9c1e4d2b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d",
    });
    const request = triggered(githubWebhook("push", payload));
    expect(request.ref).toBe("refs/tags/v1.4.0");
    expect(request.sha).toBe("0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c");
    expect(request.deliveryId).toBeUndefined();
  });

  it("ignores branch deletions", async () => {
    const { json } = await fixture("github-push.json");
    const deleted = edited(json, {
      deleted: true,
      after: "0000000000000000000000000000000000000000",
      head_commit: null,
    });
    expect(ignoredReason(githubWebhook("push", deleted))).toBe("push deleted refs/heads/main");
    const zeroOnly = edited(json, { deleted: undefined, after: "0000000000000000000000000000000000000000" });
    expect(ignoredReason(githubWebhook("push", zeroOnly))).toMatch(/deleted/);
  });

  it("maps an opened pull request to its head commit and branch", async () => {
    const { json } = await fixture("github-pull-request-opened.json");
    const request = triggered(githubWebhook("pull_request", json, "abc"));
    expect(request).toMatchObject({
      event: "pull_request",
      ref: "refs/heads/feature/gift-cards",
      sha: "b3f8c2e1d4a5968778695a4b3c2d1e0f9a8b7c6d",
      actor: "hubot",
      repository: "acme/web-shop",
      deliveryId: "abc",
    });
    for (const action of ["synchronize", "reopened"]) {
      const payload = edited(json, { action: action });
      expect(triggered(githubWebhook("pull_request", payload)).sha).toBe(
        "b3f8c2e1d4a5968778695a4b3c2d1e0f9a8b7c6d",
      );
    }
  });

  it("ignores pull request actions that do not change the code, saying which", async () => {
    const { json } = await fixture("github-pull-request-opened.json");
    for (const action of ["closed", "labeled", "edited", "assigned"]) {
      const payload = edited(json, { action: action });
      expect(ignoredReason(githubWebhook("pull_request", payload))).toContain(`"${action}"`);
    }
  });

  it("maps a workflow_dispatch with its inputs and leaves the commit to be resolved", async () => {
    const { json } = await fixture("github-workflow-dispatch.json");
    const request = triggered(githubWebhook("workflow_dispatch", json));
    expect(request).toMatchObject({
      event: "workflow_dispatch",
      ref: "refs/heads/release/2024.06",
      sha: "",
      actor: "octocat",
      repository: "acme/web-shop",
      inputs: { environment: "staging", dry_run: "false" },
    });
    const typed = edited(json, { inputs: { dry_run: true, replicas: 3 } });
    expect(triggered(githubWebhook("workflow_dispatch", typed)).inputs).toEqual({
      dry_run: "true",
      replicas: "3",
    });
    const none = edited(json, { inputs: null });
    expect(triggered(githubWebhook("workflow_dispatch", none)).inputs).toEqual({});
  });

  it("ignores ping and events that run no pipeline", () => {
    expect(githubWebhook("ping", { zen: "Design for failure.", hook_id: 1 })).toEqual({
      kind: "ignored",
      reason: "ping",
    });
    expect(ignoredReason(githubWebhook("issues", { action: "opened" }))).toBe(
      'GitHub event "issues" does not run pipelines',
    );
  });

  it("names the missing or mistyped field of a malformed payload", async () => {
    const { json: push } = await fixture("github-push.json");
    const noRepository = edited(push, { "repository.full_name": undefined });
    expect(usageError(() => githubWebhook("push", noRepository)).message).toContain("repository.full_name");

    const { json: pr } = await fixture("github-pull-request-opened.json");
    const noHeadSha = edited(pr, { "pull_request.head.sha": undefined });
    expect(usageError(() => githubWebhook("pull_request", noHeadSha)).message).toContain(
      "pull_request.head.sha",
    );
    const shortSha = edited(pr, { "pull_request.head.sha": "b3f8c2e" });
    expect(usageError(() => githubWebhook("pull_request", shortSha)).message).toMatch(
      /pull_request\.head\.sha.*40-hex/,
    );

    expect(usageError(() => githubWebhook("push", "not json")).message).toContain("GitHub push");
    expect(usageError(() => githubWebhook("workflow_dispatch", { ref: "refs/heads/main" })).message).toMatch(
      /repository.*sender|sender.*repository/s,
    );
  });
});

describe("verifyGitlabToken", () => {
  it("accepts the exact token only", () => {
    expect(verifyGitlabToken("glpat-hook-token", "glpat-hook-token")).toBe(true);
    expect(verifyGitlabToken("glpat-hook-token", "glpat-hook-tokeN")).toBe(false);
    expect(verifyGitlabToken("glpat-hook-token", "glpat-hook-token ")).toBe(false);
  });

  it("refuses tokens of another length, a missing header and an empty configured token", () => {
    expect(verifyGitlabToken("glpat-hook-token", "glpat")).toBe(false);
    expect(verifyGitlabToken("glpat-hook-token", "glpat-hook-token-and-more")).toBe(false);
    expect(verifyGitlabToken("glpat-hook-token", "")).toBe(false);
    expect(verifyGitlabToken("glpat-hook-token", undefined)).toBe(false);
    expect(verifyGitlabToken("", "")).toBe(false);
  });
});

describe("gitlabWebhook", () => {
  it("maps a Push Hook to the checked-out commit", async () => {
    const { json } = await fixture("gitlab-push-hook.json");
    const request = triggered(gitlabWebhook("Push Hook", json, "13792a34-cac6-4fda-95a8-c58e00a3954e"));
    expect(request).toEqual({
      source: "gitlab",
      event: "push",
      ref: "refs/heads/main",
      sha: "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
      actor: "jsmith",
      repository: "mike/diaspora",
      repositoryUrls: [
        "https://gitlab.example.com/mike/diaspora.git",
        "git@gitlab.example.com:mike/diaspora.git",
        "https://gitlab.example.com/mike/diaspora",
      ],
      inputs: {},
      payload: json,
      deliveryId: "13792a34-cac6-4fda-95a8-c58e00a3954e",
    });
  });

  it("maps a Tag Push Hook to a push of the tag, at the commit the tag points to", async () => {
    const { json } = await fixture("gitlab-push-hook.json");
    const tag = edited(json, {
      object_kind: "tag_push",
      event_name: "tag_push",
      ref: "refs/tags/v1.0.0",
      before: "0000000000000000000000000000000000000000",
      after: "82b3d5ae55f7080f1e6022629cdb57bfae7cccc7",
    });
    const request = triggered(gitlabWebhook("Tag Push Hook", tag));
    expect(request).toMatchObject({
      event: "push",
      ref: "refs/tags/v1.0.0",
      sha: "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
    });
  });

  it("ignores deleted branches and tags", async () => {
    const { json } = await fixture("gitlab-push-hook.json");
    const deleted = edited(json, { after: "0000000000000000000000000000000000000000", checkout_sha: null });
    expect(ignoredReason(gitlabWebhook("Push Hook", deleted))).toBe("push deleted refs/heads/main");
    const deletedTag = edited(json, {
      ref: "refs/tags/v1.0.0",
      after: "0000000000000000000000000000000000000000",
      checkout_sha: null,
    });
    expect(ignoredReason(gitlabWebhook("Tag Push Hook", deletedTag))).toBe("push deleted refs/tags/v1.0.0");
  });

  it("maps an opened merge request to the source branch's last commit", async () => {
    const { json } = await fixture("gitlab-merge-request-hook.json");
    const request = triggered(gitlabWebhook("Merge Request Hook", json));
    expect(request).toMatchObject({
      event: "merge_request_event",
      ref: "refs/heads/ms-viewport",
      sha: "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
      actor: "root",
      repository: "gitlabhq/gitlab-test",
      repositoryUrls: [
        "https://gitlab.example.com/gitlabhq/gitlab-test.git",
        "git@gitlab.example.com:gitlabhq/gitlab-test.git",
        "https://gitlab.example.com/gitlabhq/gitlab-test",
      ],
    });
    const reopened = edited(json, { "object_attributes.action": "reopen" });
    expect(triggered(gitlabWebhook("Merge Request Hook", reopened)).event).toBe("merge_request_event");
  });

  it("runs an update that brought new commits and ignores one that only edited the merge request", async () => {
    const { json } = await fixture("gitlab-merge-request-hook.json");
    const pushed = edited(json, {
      "object_attributes.action": "update",
      "object_attributes.oldrev": "95790bf891e76fee5e1747ab589903a6a1f80f22",
    });
    expect(triggered(gitlabWebhook("Merge Request Hook", pushed)).sha).toBe(
      "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
    );
    const relabelled = edited(json, { "object_attributes.action": "update" });
    expect(ignoredReason(gitlabWebhook("Merge Request Hook", relabelled))).toBe(
      "merge request update without new commits",
    );
  });

  it("ignores other merge request actions and other events, saying which", async () => {
    const { json } = await fixture("gitlab-merge-request-hook.json");
    for (const action of ["close", "merge", "approved"]) {
      const payload = edited(json, { "object_attributes.action": action });
      expect(ignoredReason(gitlabWebhook("Merge Request Hook", payload))).toContain(`"${action}"`);
    }
    expect(ignoredReason(gitlabWebhook("Note Hook", { object_kind: "note" }))).toBe(
      'GitLab event "Note Hook" does not run pipelines',
    );
  });

  it("names the missing field of a malformed payload", async () => {
    const { json: push } = await fixture("gitlab-push-hook.json");
    const noProject = edited(push, { "project.path_with_namespace": undefined });
    expect(usageError(() => gitlabWebhook("Push Hook", noProject)).message).toContain(
      "project.path_with_namespace",
    );
    const { json: mr } = await fixture("gitlab-merge-request-hook.json");
    const noCommit = edited(mr, { "object_attributes.last_commit": undefined });
    expect(usageError(() => gitlabWebhook("Merge Request Hook", noCommit)).message).toContain(
      "object_attributes.last_commit",
    );
    expect(usageError(() => gitlabWebhook("Merge Request Hook", {})).message).toContain("object_attributes");
  });
});

describe("generic signed webhook", () => {
  const secret = "generic-secret";
  const body = Buffer.from(JSON.stringify({ ref: "refs/heads/main", inputs: { target: "staging" } }));
  const now = 1_718_000_000;

  it("signs as HMAC-SHA256 over '<timestamp>.<body>', matching openssl", async () => {
    const { timestamp, signature } = signGeneric(secret, body, now + 0.7);
    expect(timestamp).toBe(String(now));
    const { stdout } = await run(
      "sh",
      ["-c", `printf '%s' "$MESSAGE" | openssl dgst -sha256 -hmac "$SECRET" -hex`],
      { env: { ...process.env, MESSAGE: `${timestamp}.${body.toString("utf8")}`, SECRET: secret } },
    );
    expect(signature).toBe(`sha256=${/([0-9a-f]{64})\s*$/.exec(stdout)?.[1]}`);
  });

  it("accepts a fresh delivery signed with the secret", () => {
    const headers = signGeneric(secret, body, now - 10);
    expect(verifyGeneric(secret, body, headers, now)).toEqual({ ok: true });
    expect(verifyGeneric(secret, body.toString("utf8"), headers, now)).toEqual({ ok: true });
  });

  it("refuses a tampered body, a wrong secret and a timestamp changed after signing", () => {
    const headers = signGeneric(secret, body, now);
    const tampered = Buffer.from(body.toString("utf8").replace("staging", "production"));
    expect(verifyGeneric(secret, tampered, headers, now)).toEqual({
      ok: false,
      reason: "signature does not match the body and timestamp",
    });
    expect(verifyGeneric("another", body, headers, now).ok).toBe(false);
    // A captured request replayed with a fresh timestamp: the signature bound the old one.
    expect(verifyGeneric(secret, body, { ...headers, timestamp: String(now + 1000) }, now + 1000).ok).toBe(
      false,
    );
  });

  it("refuses replays older than the tolerance and timestamps too far ahead", () => {
    const headers = signGeneric(secret, body, now);
    expect(verifyGeneric(secret, body, headers, now + 300)).toEqual({ ok: true });
    const old = verifyGeneric(secret, body, headers, now + 301);
    expect(old).toEqual({ ok: false, reason: "timestamp is 301 s old, more than the 300 s allowed" });
    expect(verifyGeneric(secret, body, headers, now + 301, 600)).toEqual({ ok: true });
    expect(verifyGeneric(secret, body, headers, now - 301)).toEqual({
      ok: false,
      reason: "timestamp is 301 s in the future, more than the 300 s allowed",
    });
  });

  it("says which header is missing or malformed", () => {
    const { timestamp, signature } = signGeneric(secret, body, now);
    const reason = (headers: { timestamp?: string; signature?: string }): string => {
      const result = verifyGeneric(secret, body, headers, now);
      return result.ok ? "ok" : result.reason;
    };
    expect(reason({ signature })).toBe("missing X-Slipway-Timestamp header");
    expect(reason({ timestamp })).toBe("missing X-Slipway-Signature header");
    expect(reason({ timestamp: "yesterday", signature })).toBe("X-Slipway-Timestamp must be unix seconds");
    expect(reason({ timestamp, signature: signature.replace("sha256=", "") })).toMatch(/sha256=<64 hex/);
    expect(reason({ timestamp, signature: `${signature}ab` })).toMatch(/sha256=<64 hex/);
    expect(verifyGeneric("", body, { timestamp, signature }, now)).toEqual({
      ok: false,
      reason: "no webhook secret is configured",
    });
  });

  it("maps the body to a trigger with defaults", () => {
    const payload = { ref: "refs/heads/main" };
    expect(triggered(genericWebhook(payload, "delivery-7"))).toEqual({
      source: "generic",
      event: "push",
      ref: "refs/heads/main",
      sha: "",
      actor: "webhook",
      repository: "",
      repositoryUrls: [],
      inputs: {},
      payload,
      deliveryId: "delivery-7",
    });
    const full = {
      ref: "refs/tags/v2.0.0",
      sha: "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
      event: "release",
      inputs: { target: "production" },
      actor: "release-bot",
    };
    expect(triggered(genericWebhook(full))).toMatchObject({
      event: "release",
      ref: "refs/tags/v2.0.0",
      sha: "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
      inputs: { target: "production" },
      actor: "release-bot",
    });
  });

  it("names the field of a malformed body", () => {
    expect(usageError(() => genericWebhook({})).message).toContain("ref:");
    expect(usageError(() => genericWebhook({ ref: "main" })).message).toContain("refs/heads/main");
    expect(usageError(() => genericWebhook({ ref: "refs/heads/main", sha: "HEAD" })).message).toContain(
      "sha:",
    );
    expect(usageError(() => genericWebhook({ ref: "refs/heads/main", inputs: { n: 1 } })).message).toContain(
      "inputs.n",
    );
  });
});
