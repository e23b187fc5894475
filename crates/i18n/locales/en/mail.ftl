# Emails: plain text; \n breaks a line, \n\n starts a paragraph.
mail-signup-exists-subject = Signing up to Bastion
mail-signup-exists-body = Hello,\n\nSomeone (perhaps you) tried to sign up to Bastion with this address, which already has an account. Sign in instead; if you forgot your password, use "Forgot password" on the sign-in page.\n\nIf it was not you, ignore this message: nothing has changed.\n
mail-signup-code-subject = Your Bastion confirmation code
mail-signup-code-body = Hello { $name },\n\nYour code to confirm your Bastion account is { $code }.\nIt works once, for 15 minutes. If you did not sign up, ignore this message: nothing is created until the code is entered.\n
mail-reset-code-subject = Your Bastion password reset code
mail-reset-code-body = Hello { $name },\n\nYour code to reset your Bastion password is { $code }.\nIt works once, for 15 minutes. If you did not ask for it, ignore this message: your password stays as it is.\n
mail-invitation-subject = { $inviter } invited you to { $workspace } on Bastion
mail-invitation-body = Hello,\n\n{ $inviter } invited you to join the workspace "{ $workspace }" on Bastion as { $role }.\n\nAccept the invitation here (the link works once, for 7 days):\n{ $link }\n\nIf you do not know this person, ignore this message.\n
mail-security-request-subject = We received your request for the { $kind }
mail-security-request-body = Hello { $name },\n\nthank you for your request for Bastion's { $kind }. The team will reply to this address within two working days.\n\nIf you did not make this request, you can ignore this message.\n
mail-kind-dpa = data-processing agreement
mail-kind-security-pack = security pack
mail-recovery-used-subject = A recovery code was used to sign in to Bastion
mail-recovery-used-body = Hello { $name },\n\nOne of your recovery codes was just used to sign in to your Bastion account. It will not work again; { $left } unused codes are left.\n\nIf this was not you, change your password and make new recovery codes on your account page at once.\n
