import { test, expect } from "@playwright/test";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { seedWorkspaceWithToken } from "./cli";

// schemathesis (a real, independent OpenAPI client) fuzzes every operation of the served
// document with an API token of a seeded workspace, and fails on any server error, any answer
// that does not match its documented schema, and any status code the document does not list.
// Bounded: a few examples per operation, a fixed seed (BASTION_FUZZ_SEED to vary it).
// Opt-in for now: BASTION_FUZZ=1 runs it (./x test then installs schemathesis into .venv).
// Switch the default on once a run with the NUL-character fixes is confirmed green.

const root = path.resolve(__dirname, "../..");
const schemathesis = path.join(root, ".venv/bin/schemathesis");

test("schemathesis finds no server error, schema violation or undocumented status", ({ baseURL }) => {
  test.skip(process.env.BASTION_FUZZ !== "1", "set BASTION_FUZZ=1 to fuzz the API");
  test.setTimeout(15 * 60_000);
  expect(fs.existsSync(schemathesis), `${schemathesis} is missing: ./x test installs it`).toBe(true);
  const token = seedWorkspaceWithToken("fuzz");
  const run = spawnSync(
    schemathesis,
    [
      "run",
      `${baseURL}/api/schema/`,
      "--url",
      baseURL!,
      "-H",
      `Authorization: Bearer ${token}`,
      "--checks",
      "not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance",
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
      "--no-shrink",
      "--output-truncate",
      "false",
    ],
    { cwd: root, encoding: "utf8", timeout: 14 * 60_000, env: { ...process.env, NO_COLOR: "1" } },
  );
  const output = `${run.stdout ?? ""}\n${run.stderr ?? ""}`;
  if (run.status !== 0) {
    console.log(output);
  }
  expect(run.status, output.slice(-20_000)).toBe(0);
});
