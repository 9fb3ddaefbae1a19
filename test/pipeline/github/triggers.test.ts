import { describe, expect, it } from "vitest";
import { commit, diagnosticsOf, finished, git, lines, load, repository, runWorkflow } from "./support.js";

describe("the event a run plays, checked against the workflow's filters and the local repository", () => {
  it("a push runs when the commit changes a path the workflow watches (negations in order)", async () => {
    const dir = await repository({ fixture: "monorepo" }, { remote: "git@github.com:octo/mono.git" });
    await commit(dir, { "services/api/handler.sh": "echo ok\n" }, "api change");
    const { events, logs, loaded } = await runWorkflow(dir, ".github/workflows/api.yml");
    expect(loaded.trigger).toMatchObject({
      event: "push",
      ref: "refs/heads/main",
      changedFiles: ["services/api/handler.sh"],
    });
    expect(finished(events)).toEqual({ test: "success" });
    expect(lines(logs, "test")).toEqual(
      expect.arrayContaining(["api tests pass in api", "api api v1 on main"]),
    );
  });

  it("a push that only touches excluded paths is refused at the filter that excluded it, unless forced", async () => {
    const dir = await repository({ fixture: "monorepo" });
    await commit(dir, { "docs/guide.md": "# Guide\n", "services/api/NOTES.md": "notes\n" }, "docs");
    expect(await diagnosticsOf(() => load(dir, ".github/workflows/api.yml"))).toEqual([
      ".github/workflows/api.yml:6:5: none of the 2 file(s) changed since HEAD~1 (docs/guide.md, services/api/NOTES.md) is matched by paths (services/api/**, !services/api/**.md)",
    ]);
    expect(await diagnosticsOf(() => load(dir, ".github/workflows/web.yml"))).toEqual([
      ".github/workflows/web.yml:5:5: every file changed since HEAD~1 (docs/guide.md, services/api/NOTES.md) is matched by paths-ignore (docs/**, **.md)",
    ]);
    const forced = await runWorkflow(dir, ".github/workflows/api.yml", { forceTrigger: true });
    expect(forced.loaded.trigger.forcedPast).toEqual([
      expect.stringMatching(/^\.github\/workflows\/api\.yml:6:5: none of/),
    ]);
    expect(finished(forced.events)).toEqual({ test: "success" });
  });

  it("a push from a branch the workflow does not list is refused; as a pull request into main it runs", async () => {
    const dir = await repository({ fixture: "monorepo" });
    git(dir, "checkout", "-q", "-b", "feature/faster-api");
    await commit(dir, { "services/api/fast.sh": "echo fast\n" }, "faster");
    expect(await diagnosticsOf(() => load(dir, ".github/workflows/api.yml", { event: "push" }))).toEqual([
      '.github/workflows/api.yml:5:5: branch "feature/faster-api" is not matched by branches (main, release/**)',
    ]);
    const pr = await runWorkflow(dir, ".github/workflows/api.yml", { event: "pull_request" });
    expect(pr.loaded.trigger).toMatchObject({
      event: "pull_request",
      ref: "refs/pull/0/merge",
      refName: "0/merge",
      headRef: "feature/faster-api",
      baseRef: "main",
      action: "opened",
      changedFiles: ["services/api/fast.sh"],
    });
    const event = pr.loaded.github as {
      event: { pull_request: { head: { ref: string; sha: string }; base: { ref: string } } };
    };
    expect(event.event.pull_request.head).toMatchObject({
      ref: "feature/faster-api",
      sha: git(dir, "rev-parse", "HEAD"),
    });
    expect(event.event.pull_request.base.ref).toBe("main");
    expect(finished(pr.events)).toEqual({ test: "success" });
    expect(lines(pr.logs, "test")).toContain("api api v1 on 0/merge");
  });

  it("release branches match a ** pattern", async () => {
    const dir = await repository({ fixture: "monorepo" });
    git(dir, "checkout", "-q", "-b", "release/2.x");
    await commit(dir, { "services/api/VERSION": "api v2\n" });
    expect((await load(dir, ".github/workflows/api.yml")).trigger.refName).toBe("release/2.x");
  });

  it("a workflow filtering on tags runs as a push of the tag on HEAD, and not without one", async () => {
    const dir = await repository({ fixture: "monorepo" });
    expect(await diagnosticsOf(() => load(dir, ".github/workflows/release.yml"))).toEqual([
      ".github/workflows/release.yml:5:5: the workflow runs on pushes of tags only, and main is a branch",
    ]);
    git(dir, "tag", "v1.2.3");
    const { loaded, logs } = await runWorkflow(dir, ".github/workflows/release.yml");
    expect(loaded.trigger).toMatchObject({ ref: "refs/tags/v1.2.3", refName: "v1.2.3", refType: "tag" });
    expect(lines(logs, "publish")).toEqual(["publishing v1.2.3 (tag)"]);
  });

  it("an event the workflow does not declare is refused at `on`", async () => {
    const dir = await repository({ fixture: "monorepo" });
    expect(
      await diagnosticsOf(() => load(dir, ".github/workflows/web.yml", { event: "workflow_dispatch" })),
    ).toEqual([
      ".github/workflows/web.yml:3:1: the workflow does not run on workflow_dispatch: it runs on push",
    ]);
  });

  it("workflow_dispatch inputs: defaults, types, choices, required ones, and the payload's string values", async () => {
    const workflow = `name: deploy
on:
  workflow_dispatch:
    inputs:
      environment:
        description: where to
        type: choice
        options: [staging, production]
        default: staging
      dry-run:
        type: boolean
        default: true
      replicas:
        type: number
        default: 2
      reason:
        required: true
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - run: |
          echo "env=\${{ inputs.environment }} dry=\${{ inputs.dry-run }} n=\${{ inputs.replicas }} reason=\${{ inputs.reason }}"
          echo "typed=\${{ inputs.dry-run == true }} event=\${{ github.event.inputs.dry-run == 'true' }} more=\${{ inputs.replicas > 1 }}"
`;
    const dir = await repository({ files: { ".github/workflows/deploy.yml": workflow } });
    expect(await diagnosticsOf(() => load(dir, ".github/workflows/deploy.yml"))).toEqual([
      '.github/workflows/deploy.yml:16:7: input "reason" is required and has no default',
    ]);
    await expect(
      load(dir, ".github/workflows/deploy.yml", { inputs: { reason: "x", "dry-run": "maybe" } }),
    ).rejects.toThrow(/input "dry-run" is a boolean/);
    await expect(
      load(dir, ".github/workflows/deploy.yml", { inputs: { reason: "x", environment: "qa" } }),
    ).rejects.toThrow(/not one of the options/);
    await expect(load(dir, ".github/workflows/deploy.yml", { inputs: { reasn: "x" } })).rejects.toThrow(
      /no input "reasn"/,
    );
    const { logs } = await runWorkflow(dir, ".github/workflows/deploy.yml", {
      inputs: { reason: "hotfix", environment: "production", "dry-run": "false" },
    });
    expect(lines(logs, "deploy")).toEqual([
      "env=production dry=false n=2 reason=hotfix",
      "typed=false event=false more=true",
    ]);
  });

  it("schedule plays the first cron, and the default event is the first one Slipway can play", async () => {
    const workflow = `on:
  schedule:
    - cron: "17 3 * * 1"
  workflow_dispatch:
jobs:
  nightly:
    runs-on: ubuntu-latest
    steps:
      - run: echo "\${{ github.event_name }} \${{ github.event.schedule }}"
`;
    const dir = await repository({ files: { ".github/workflows/nightly.yml": workflow } });
    const dispatch = await runWorkflow(dir, ".github/workflows/nightly.yml");
    expect(lines(dispatch.logs, "nightly")).toEqual(["workflow_dispatch "]);
    const scheduled = await runWorkflow(dir, ".github/workflows/nightly.yml", { event: "schedule" });
    expect(lines(scheduled.logs, "nightly")).toEqual(["schedule 17 3 * * 1"]);
  });
});
