-- The devices an account has signed in from (issue 17, "new sign-in" email). A device is the
-- browser and system its user agent names and the network its address is in (IPv4 /24, IPv6
-- /48), found without asking any outside service. Only a digest of that pair is kept, so the
-- table says "seen before or not" and nothing more; it goes with the account.
CREATE TABLE sign_in_devices (
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    device_digest bytea NOT NULL,
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, device_digest)
);

-- The serving login notes devices as it starts sessions; a device is never changed otherwise,
-- and goes with its account (the foreign key's cascade runs as the table's owner).
GRANT SELECT, INSERT, UPDATE ON sign_in_devices TO bastion_serving;
