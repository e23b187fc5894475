import { test, expect } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { seedWorkspaceWithToken } from "./cli";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

// The generated TypeScript client (clients/typescript) against this very server: the committed
// schema.d.ts must be what the committed OpenAPI document generates, it must type-check, and its
// smoke script must work with an API token made by the `bastion token create` command.

const root = path.resolve(__dirname, "../..");
const client = path.join(root, "clients/typescript");
test("the committed TypeScript client is what docs/openapi.json generates", () => {
  const fresh = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "bastion-client-")), "schema.d.ts");
  execFileSync(
    path.join(client, "node_modules/.bin/openapi-typescript"),
    [path.join(root, "docs/openapi.json"), "--output", fresh],
    { cwd: client, stdio: "pipe" },
  );
  const committed = fs.readFileSync(path.join(client, "schema.d.ts"), "utf8");
  expect(
    fs.readFileSync(fresh, "utf8") === committed,
    "clients/typescript/schema.d.ts is stale: run `npm run generate` in clients/typescript",
  ).toBe(true);
});

test("the TypeScript client type-checks", () => {
  execFileSync(path.join(client, "node_modules/.bin/tsc"), ["--noEmit", "-p", client], {
    cwd: client,
    stdio: "pipe",
  });
});

test("the TypeScript client's smoke script works with an API token", ({ baseURL }) => {
  test.setTimeout(120_000);
  const token = seedWorkspaceWithToken("client-smoke");
  const out = execFileSync("npm", ["run", "--silent", "smoke"], {
    cwd: client,
    env: { ...process.env, BASE_URL: baseURL!, TOKEN: token, WORKSPACE: "client-smoke" },
    encoding: "utf8",
  });
  expect(out).toContain("ok: client-smoke-admin@example.eu sees 1 task(s) in client-smoke");

  // The same script fails loudly with a revoked or made-up token.
  let failed = false;
  try {
    execFileSync("node", ["dist/scripts/smoke.js"], {
      cwd: client,
      env: { ...process.env, BASE_URL: baseURL!, TOKEN: `bst_${"x".repeat(43)}`, WORKSPACE: "client-smoke" },
      stdio: "pipe",
    });
  } catch {
    failed = true;
  }
  expect(failed).toBe(true);
});
