// A typed client for Bastion's REST API. `schema.d.ts` is generated from docs/openapi.json
// (`npm run generate`); a test fails when it drifts from the document.
import createClient, { type Client } from "openapi-fetch";
import type { components, paths } from "../schema.js";

export type { components, paths };
export type BastionClient = Client<paths>;

export interface BastionOptions {
  /** The server's origin, e.g. `https://bastion.example.eu`. */
  baseUrl: string;
  /** An API token (`bst_…`), created under /api/v1/workspaces/{ws}/tokens. */
  token: string;
  /** Another fetch, e.g. for tests or proxies. */
  fetch?: typeof globalThis.fetch;
}

/** A client that authenticates every request with the API token. */
export function createBastionClient(options: BastionOptions): BastionClient {
  return createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ""),
    headers: { Authorization: `Bearer ${options.token}` },
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
}
