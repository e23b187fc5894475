// Passkeys: the WebAuthn ceremonies behind the buttons that app/src/passkeys.rs draws with
// `data-passkey-action` (sign-in, second-factor, register). Each asks a server function for the
// options, hands them to navigator.credentials, and sends the answer back; binary fields travel
// as base64url. Sentences come from the page (`data-msg-*` on the status line), in its language.
// Clicks are caught on the document, so buttons drawn after hydration work as well.

const supported =
  typeof window.PublicKeyCredential === "function" &&
  !!navigator.credentials &&
  typeof navigator.credentials.create === "function";
if (supported) {
  // The style sheet shows the passkey buttons, and hides the "needs JavaScript" note, on this.
  document.documentElement.dataset.passkeys = "on";
}

function fromBase64url(text) {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
  const binary = atob(padded);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes.buffer;
}

function toBase64url(buffer) {
  const bytes = new Uint8Array(buffer);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

class Refusal extends Error {
  constructor(status, message) {
    super(message || "");
    this.status = status;
  }
}

// A server function, form-encoded like the pages' forms; its JSON answer, or a Refusal with the
// sentence the server wrote (in the page's language) where it wrote one.
async function call(endpoint, fields) {
  const response = await fetch(`/api/fn/${endpoint}`, {
    method: "POST",
    credentials: "same-origin",
    headers: {
      "Content-Type": "application/x-www-form-urlencoded",
      Accept: "application/json",
    },
    body: new URLSearchParams(fields),
  });
  const text = await response.text();
  let data = null;
  try {
    data = JSON.parse(text);
  } catch {
    data = null;
  }
  if (!response.ok) {
    const refusal = data && (data.Invalid || data.Conflict || null);
    throw new Refusal(response.status, refusal ? refusal.message : "");
  }
  return data;
}

function creationOptions(options) {
  const publicKey = structuredClone(options.publicKey);
  publicKey.challenge = fromBase64url(publicKey.challenge);
  publicKey.user.id = fromBase64url(publicKey.user.id);
  for (const c of publicKey.excludeCredentials || []) c.id = fromBase64url(c.id);
  return { publicKey };
}

function requestOptions(options) {
  const publicKey = structuredClone(options.publicKey);
  publicKey.challenge = fromBase64url(publicKey.challenge);
  for (const c of publicKey.allowCredentials || []) c.id = fromBase64url(c.id);
  return { publicKey };
}

function registration(credential) {
  return {
    id: credential.id,
    rawId: toBase64url(credential.rawId),
    type: credential.type,
    response: {
      attestationObject: toBase64url(credential.response.attestationObject),
      clientDataJSON: toBase64url(credential.response.clientDataJSON),
    },
    extensions: credential.getClientExtensionResults(),
  };
}

function assertion(credential) {
  const r = credential.response;
  return {
    id: credential.id,
    rawId: toBase64url(credential.rawId),
    type: credential.type,
    response: {
      authenticatorData: toBase64url(r.authenticatorData),
      clientDataJSON: toBase64url(r.clientDataJSON),
      signature: toBase64url(r.signature),
      userHandle: r.userHandle ? toBase64url(r.userHandle) : null,
    },
    extensions: credential.getClientExtensionResults(),
  };
}

async function signIn(box) {
  const started = await call("start_passkey_sign_in", {});
  const credential = await navigator.credentials.get(requestOptions(JSON.parse(started.options)));
  const target = await call("passkey_sign_in", {
    ceremony: started.ceremony,
    credential: JSON.stringify(assertion(credential)),
    next: box.dataset.passkeyNext || "",
  });
  window.location.assign(target);
}

async function secondFactor(box) {
  const started = await call("start_passkey_second_factor", {});
  const credential = await navigator.credentials.get(requestOptions(JSON.parse(started.options)));
  const target = await call("passkey_second_factor", {
    ceremony: started.ceremony,
    credential: JSON.stringify(assertion(credential)),
    next: box.dataset.passkeyNext || "",
  });
  window.location.assign(target);
}

async function register(box) {
  const name = box.querySelector("#passkey_name");
  const started = await call("start_passkey_registration", {});
  const credential = await navigator.credentials.create(creationOptions(JSON.parse(started.options)));
  await call("add_passkey", {
    ceremony: started.ceremony,
    credential: JSON.stringify(registration(credential)),
    name: name ? name.value : "",
  });
  // The list, the security record and the sessions are drawn by the server: show them afresh.
  window.location.reload();
}

const ceremonies = { "sign-in": signIn, "second-factor": secondFactor, register };

document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-passkey-action]");
  if (!button) return;
  const box = button.closest(".passkey-box") || document.body;
  const status = box.querySelector("[data-passkey-status]");
  // Progress in the page's ink, refusals as form errors are shown.
  const say = (text, refused = true) => {
    if (!status) return;
    status.textContent = text || "";
    status.classList.toggle("form-error", refused);
  };
  const ceremony = ceremonies[button.dataset.passkeyAction];
  if (!ceremony) return;
  if (!supported) {
    say(status && status.dataset.msgUnsupported);
    return;
  }
  button.disabled = true;
  say(status && status.dataset.msgWorking, false);
  try {
    await ceremony(box);
  } catch (error) {
    if (error instanceof Refusal) {
      say(error.message || (error.status === 429 ? status.dataset.msgLocked : status.dataset.msgFailed));
    } else if (error && error.name === "NotAllowedError") {
      // Cancelled, timed out, or no passkey for this site on the device.
      say(status && status.dataset.msgCancelled);
    } else {
      say(status && status.dataset.msgFailed);
    }
  } finally {
    button.disabled = false;
  }
});
