// Exercises the generated client against a live server with an API token: who am I, make a
// project and a task, and find the task in the list. Exits non-zero on any failure.
//   BASE_URL=http://127.0.0.1:3000 TOKEN=bst_… WORKSPACE=acme npm run smoke
import { createBastionClient } from "../src/index.js";

function env(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set`);
  }
  return value;
}

async function main(): Promise<void> {
  const client = createBastionClient({ baseUrl: env("BASE_URL"), token: env("TOKEN") });
  const ws = env("WORKSPACE");

  const me = await client.GET("/api/v1/me");
  if (!me.data) {
    throw new Error(`GET /api/v1/me: ${me.response.status} ${JSON.stringify(me.error)}`);
  }
  if (!me.data.workspaces.some((w) => w.slug === ws)) {
    throw new Error(`the token's workspaces do not include ${ws}`);
  }

  const project = await client.POST("/api/v1/workspaces/{ws}/projects", {
    params: { path: { ws } },
    body: { name: "Smoke test" },
  });
  if (!project.data) {
    throw new Error(`create_project: ${project.response.status} ${JSON.stringify(project.error)}`);
  }
  const task = await client.POST("/api/v1/workspaces/{ws}/tasks", {
    params: { path: { ws } },
    body: { project_id: project.data.id, title: "Typed client smoke test" },
  });
  if (!task.data) {
    throw new Error(`create_task: ${task.response.status} ${JSON.stringify(task.error)}`);
  }

  const tasks = await client.GET("/api/v1/workspaces/{ws}/tasks", {
    params: { path: { ws }, query: { limit: 100 } },
  });
  if (!tasks.data) {
    throw new Error(`list_tasks: ${tasks.response.status} ${JSON.stringify(tasks.error)}`);
  }
  const created = task.data.id;
  if (!tasks.data.items.some((t) => t.id === created)) {
    throw new Error(`the new task ${created} is not in the list`);
  }
  console.log(`ok: ${me.data.user.email} sees ${tasks.data.items.length} task(s) in ${ws}`);
}

main().catch((error: unknown) => {
  console.error(`smoke test failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
