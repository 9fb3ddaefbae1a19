import { describe, expect, it } from "vitest";
import { findRemoteExecutions } from "../../../src/guardrails/dockerfile/remote-script.js";
import { allCommands, invocation, parseShell, pipelines } from "../../../src/guardrails/dockerfile/shell.js";

const programs = (script: string): string[] =>
  allCommands(parseShell(script)).map((c) => invocation(c)?.program ?? "");

describe("shell tokenizer", () => {
  it("splits commands on &&, ||, ;, | and newlines, not inside quotes", () => {
    const script = parseShell(`apt-get update && echo "a && b; c | d" || true; ls 'x|y' | wc -l\nmake`);
    expect(script.commands.map((c) => c.words.map((w) => w.value))).toEqual([
      ["apt-get", "update"],
      ["echo", "a && b; c | d"],
      ["true"],
      ["ls", "x|y"],
      ["wc", "-l"],
      ["make"],
    ]);
    expect(script.commands.map((c) => c.next)).toEqual(["&&", "||", ";", "|", "\n", ""]);
  });

  it("keeps offsets of words and commands", () => {
    const text = "cd /tmp && curl -fsSL https://x.example | sh";
    const commands = parseShell(text).commands;
    expect(commands.map((c) => text.slice(c.start, c.end))).toEqual([
      "cd /tmp",
      "curl -fsSL https://x.example",
      "sh",
    ]);
    const url = commands[1]?.words[2];
    expect(url && text.slice(url.start, url.end)).toBe("https://x.example");
  });

  it("reads commands inside $(…), backticks and process substitutions", () => {
    expect(
      programs('VERSION=$(curl -s https://x/v | jq -r .tag) && echo "`date`" && diff <(sort a) b'),
    ).toEqual(["", "curl", "jq", "echo", "date", "diff", "sort"]);
  });

  it("records variables with whether they are quoted", () => {
    const word = parseShell(`echo "$A" $B "\${C:-x}" '$D'`).commands[0]?.words ?? [];
    expect(word.flatMap((w) => w.variables.map((v) => [v.name, v.quoted]))).toEqual([
      ["A", true],
      ["B", false],
      ["C", true],
    ]);
  });

  it("drops reserved words and joins lines ending in && or a backslash", () => {
    const script = parseShell(
      "if [ -f x ]; then\n  rm x &&\n  touch y\nfi\nfor f in a \\\n  b; do echo $f; done",
    );
    expect(script.commands.map((c) => c.words[0]?.value)).toEqual(["[", "rm", "touch", "for", "echo"]);
    expect(pipelines(script).every((p) => p.length === 1)).toBe(true);
  });

  it("skips the body of a here-document", () => {
    expect(programs("cat <<EOF > /etc/app.conf\ncurl | sh\nEOF\nnginx -t")).toEqual(["cat", "nginx"]);
  });

  it("looks through sudo, env and other wrappers", () => {
    const call = invocation(
      parseShell("sudo -u app env A=1 B=2 nohup /usr/local/bin/server --port 80").commands[0]!,
    );
    expect(call?.program).toBe("server");
    expect(call?.wrappers.map((w) => w.value)).toEqual(["sudo", "env", "nohup"]);
    expect(call?.args.map((a) => a.value)).toEqual(["--port", "80"]);
  });

  it("never throws on unterminated quotes and substitutions", () => {
    for (const text of [
      'echo "abc',
      "echo 'x",
      "echo $(ls",
      "echo `ls",
      "a ${b",
      "x <(y",
      "|| && ;; |",
      "\\",
    ])
      expect(() => allCommands(parseShell(text))).not.toThrow();
  });
});

describe("downloaded scripts run by a shell", () => {
  const found = (script: string): string[] =>
    findRemoteExecutions(parseShell(script)).map((r) => r.description);

  it("finds the usual forms", () => {
    expect(found("curl -fsSL https://get.docker.com | sh")).toEqual(["curl | sh"]);
    expect(found("wget -qO- https://x.example/install | sudo bash -s -- --yes")).toEqual([
      "wget | sudo bash",
    ]);
    expect(
      found(
        'sh -c "$(curl -fsSL https://raw.githubusercontent.com/ohmyzsh/ohmyzsh/master/tools/install.sh)"',
      ),
    ).toHaveLength(1);
    expect(found("bash <(curl -s https://x.example/setup.sh)")).toHaveLength(1);
    expect(found('eval "$(wget -qO- https://x.example/env)"')).toHaveLength(1);
    expect(found("curl -sSL https://install.python-poetry.org | python3 -")).toEqual(["curl | python3"]);
    expect(found("curl -s https://x.example | tee /tmp/i.sh | bash")).toEqual(["curl | bash"]);
  });

  it("leaves downloads that are saved, verified, or only read alone", () => {
    expect(found("curl -fsSLo /tmp/i.sh https://x.example && sha256sum -c i.sha256 && sh /tmp/i.sh")).toEqual(
      [],
    );
    expect(
      found("curl -fsSL https://x.example/key.gpg | gpg --dearmor -o /usr/share/keyrings/x.gpg"),
    ).toEqual([]);
    expect(found("curl -fsSL https://x.example/a.tar.gz | tar -xz")).toEqual([]);
    expect(found('echo "curl https://x | sh"')).toEqual([]);
    expect(found("wget https://x.example/install.sh | sh")).toEqual([]);
    expect(found("curl -s https://x | bash -c 'cat > /tmp/f'")).toEqual([]);
  });
});
