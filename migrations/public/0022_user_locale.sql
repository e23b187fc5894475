-- The language a person reads Bastion in (the column exists since 0003): the account page, the
-- language switcher and PUT /api/v1/me/locale change it for the signed-in person, so the serving
-- role may update it (0013 grants column by column).
GRANT UPDATE (locale) ON users TO bastion_serving;
