# REST error messages (the `message` of an error answer; the `code` stays the same in every language).
api-unauthenticated = Sign in first.
api-invalid-token = The API token is unknown, expired or revoked.
api-session-required = This needs a signed-in session: an API token acts only on its own workspace's endpoints and GET /api/v1/me.
api-invalid-credentials = The email or password is wrong.
api-not-found = Not found.
api-two-factor-required = This workspace requires two-factor sign-in. Turn it on on your account page (/account#two-factor), then try again.
api-cross-origin = Cross-origin request refused.
api-rate-limited = Too many requests; try again later.
api-unavailable = The database cannot be reached just now; nothing was changed. Try again in a few seconds.
api-timeout = The request took longer than the server allows; unfinished changes were rolled back. Try again, or ask for less at once.
api-internal = Something went wrong on our side; it has been logged.
api-last-admin = This is the workspace's last active admin. Make another member an admin first, then change or remove this one.
api-sso-required = Members of { $workspace } sign in with single sign-on: { $link }
