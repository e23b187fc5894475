import { test, expect } from "@playwright/test";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { seedWorkspaceWithToken } from "./cli";

// schemathesis (a real, independent OpenAPI client) fuzzes every operation of the served
// document with an API token of a seeded workspace, with every check it has: it fails on any
// server error, any answer that does not match its documented schema, status or content type,
// a schema-invalid request accepted, a schema-valid one refused (except the operations
// end2end/schemathesis.toml lists, with why), authentication not enforced, and the rest.
// Bounded: a few examples per operation (BASTION_FUZZ_EXAMPLES), a fixed seed (BASTION_FUZZ_SEED
// to vary it) and no example database carried between runs, so CI sees the same generated
// inputs every time while each run still covers every operation in every phase.
// On by default (./x test installs schemathesis into .venv); BASTION_FUZZ=0 skips it.

const root = path.resolve(__dirname, "../..");
const schemathesis = path.join(root, ".venv/bin/schemathesis");
const config = path.join(root, "end2end/schemathesis.toml");
const hooks = path.join(root, "end2end/schemathesis_hooks.py");
const bin = path.resolve(root, process.env.BASTION_BIN ?? "target/debug/bastion");
const workspace = "fuzz";

const admin = `${workspace}-admin@example.eu`;

/** Creates through the API as the token's user; the new record's id. */
async function create(baseURL: string, token: string, path: string, body: object): Promise<string> {
  const response = await fetch(`${baseURL}/api/v1/workspaces/${workspace}/${path}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(response.status, await response.clone().text()).toBe(201);
  return (await response.json()).id;
}

test("schemathesis, with every check, finds nothing the server does that its document does not say", async ({ baseURL }) => {
  test.skip(process.env.BASTION_FUZZ === "0", "BASTION_FUZZ=0 skips fuzzing the API");
  test.setTimeout(15 * 60_000);
  expect(fs.existsSync(schemathesis), `${schemathesis} is missing: ./x test installs it`).toBe(true);
  const token = seedWorkspaceWithToken(workspace);
  // A project and a task to hang generated tasks, time entries and the rest on (see
  // end2end/schemathesis.toml): with made-up ids, creating them would only ever meet a 404.
  const project = await create(baseURL!, token, "projects", { name: "Fuzzed" });
  const task = await create(baseURL!, token, "tasks", { project_id: project, title: "Fuzzed task" });
  const started = Date.now();
  const run = spawnSync(
    schemathesis,
    [
      "--config-file",
      config,
      "run",
      `${baseURL}/api/schema/`,
      "--url",
      baseURL!,
      // Which checks run is end2end/schemathesis.toml's: all of them, with the operations where
      // a schema-valid request can still be refused listed there (a check named here would
      // override those exceptions). BASTION_FUZZ_CHECKS narrows a run by hand.
      ...(process.env.BASTION_FUZZ_CHECKS ? ["--checks", process.env.BASTION_FUZZ_CHECKS] : []),
      "--phases",
      "examples,coverage,fuzzing,stateful",
      "--max-examples",
      process.env.BASTION_FUZZ_EXAMPLES ?? "20",
      "--seed",
      process.env.BASTION_FUZZ_SEED ?? "20261125",
      // One worker: with two, hypothesis on CPython 3.11 can trip over an interpreter bug
      // ("AST constructor recursion depth mismatch") that is no finding about our API.
      "--workers",
      "1",
      "--request-timeout",
      "20",
      // The event stream answers 200 and never ends, so every case would wait out the request
      // timeout; its framing and refusals are tested over HTTP in server/tests/events.rs.
      "--exclude-operation-id",
      "get_event_stream",
      "--generation-database",
      "none",
      "--no-shrink",
      "--output-truncate",
      "false",
    ],
    {
      cwd: root,
      encoding: "utf8",
      timeout: 14 * 60_000,
      env: {
        ...process.env,
        NO_COLOR: "1",
        BASTION_BIN: bin,
        BASTION_ADDR: new URL(baseURL!).host,
        BASTION_DATA_DIR: process.env.BASTION_E2E_DATA ?? "/tmp/bastion-e2e",
        SCHEMATHESIS_HOOKS: hooks,
        BASTION_FUZZ_WORKSPACE: workspace,
        BASTION_FUZZ_ADMIN: admin,
        BASTION_FUZZ_TOKEN: token,
        BASTION_FUZZ_PROJECT: project,
        BASTION_FUZZ_TASK: task,
      },
    },
  );
  const output = `${run.stdout ?? ""}\n${run.stderr ?? ""}`;
  if (run.status !== 0) {
    console.log(output);
  } else {
    // The summary (operations, test cases, phases), so a green run shows what it covered.
    const summary = (run.stdout ?? "").trim().split("\n").slice(-40).join("\n");
    console.log(`schemathesis took ${Math.round((Date.now() - started) / 1000)} s\n${summary}`);
  }
  expect(run.status, output.slice(-20_000)).toBe(0);
});
