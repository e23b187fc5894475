// A real OpenID Provider for the single sign-on tests: the npm `oidc-provider` package (a
// certified implementation), started by the tests on 127.0.0.1. Only the sign-in page is ours:
// every provider has its own, and this one asks for an email and nothing else, so that a test can
// sign in as anyone at the test's domain. Discovery, PKCE, the code exchange, client
// authentication and the signed ID token are the package's own.
//
//   node end2end/oidc/provider.mjs <port> <client_id> <client_secret> <redirect_uri>
//
// Prints `ready <issuer>` on stdout once it listens. An email starting with `unverified` is
// answered with `email_verified: false`, so the tests can check that such a claim is refused.

import { createServer } from "node:http";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import Provider from "oidc-provider";

const [port, clientId, clientSecret, redirectUri] = process.argv.slice(2);
if (!port || !clientId || !clientSecret || !redirectUri) {
  console.error("usage: provider.mjs <port> <client_id> <client_secret> <redirect_uri>");
  process.exit(2);
}
const issuer = `http://127.0.0.1:${port}`;

// A fresh signing key per run (RS256, the algorithm nearly every provider signs with).
const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: "jwk" }), kid: randomBytes(8).toString("hex"), use: "sig", alg: "RS256" };

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: redirectUri.split(","),
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
    },
  ],
  jwks: { keys: [jwk] },
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
  // Put the scopes' claims in the ID token, as Google, Entra ID and Keycloak do.
  conformIdTokenClaims: false,
  cookies: { keys: [randomBytes(16).toString("hex")] },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(_ctx, id) {
    return {
      accountId: id,
      async claims() {
        return {
          sub: id,
          email: id,
          email_verified: !id.startsWith("unverified"),
          name: id.split("@")[0],
        };
      },
    };
  },
});

const escape = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

async function interaction(req, res, uid) {
  const details = await provider.interactionDetails(req, res);
  if (req.method === "GET") {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(`<!doctype html><html lang="en"><head><title>Test identity provider</title></head>
<body><main><h1>Test identity provider</h1>
<form method="post" action="/interaction/${escape(uid)}">
<label>Email <input name="email" type="email" value="${escape(details.params.login_hint)}" required></label>
<button type="submit">Continue</button></form></main></body></html>`);
    return;
  }
  let body = "";
  for await (const chunk of req) body += chunk;
  const email = new URLSearchParams(body).get("email")?.trim().toLowerCase();
  if (!email) {
    res.writeHead(400).end("email required");
    return;
  }
  const grant = new provider.Grant({ accountId: email, clientId: details.params.client_id });
  grant.addOIDCScope(details.params.scope);
  const grantId = await grant.save();
  await provider.interactionFinished(
    req,
    res,
    { login: { accountId: email }, consent: { grantId } },
    { mergeWithLastSubmission: false },
  );
}

const handle = provider.callback();
createServer((req, res) => {
  const match = /^\/interaction\/([^/?]+)$/.exec(req.url.split("?")[0]);
  if (match) {
    interaction(req, res, match[1]).catch((e) => {
      res.writeHead(500).end(String(e));
    });
  } else {
    handle(req, res);
  }
}).listen(Number(port), "127.0.0.1", () => console.log(`ready ${issuer}`));
