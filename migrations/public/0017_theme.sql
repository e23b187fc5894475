-- The colour scheme a person chose on their account page: 'system' follows the device's
-- preference (prefers-color-scheme); 'light' and 'dark' override it. The server writes it on
-- <html data-theme> of every page it renders for them, so nothing flashes and hydration agrees.
ALTER TABLE users
    ADD COLUMN theme text NOT NULL DEFAULT 'system' CHECK (theme IN ('system', 'light', 'dark'));
-- The serving role changes it for the signed-in person (0013 grants column by column).
GRANT UPDATE (theme) ON users TO bastion_serving;
