-- Limit counters shared by every app server: fixed windows keyed by what is limited
-- ("login-account:<email>", "login-ip:<ip>", ...), and account locks.
CREATE TABLE rate_limits (
    key text PRIMARY KEY,
    window_start timestamptz NOT NULL,
    count integer NOT NULL
);

CREATE TABLE account_locks (
    email text PRIMARY KEY,
    locked_until timestamptz NOT NULL
);
