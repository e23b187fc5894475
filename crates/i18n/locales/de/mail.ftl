mail-signup-exists-subject = Registrierung bei Bastion
mail-signup-exists-body = Hallo,\n\njemand (vielleicht Sie) hat versucht, sich mit dieser Adresse bei Bastion zu registrieren, für die es bereits ein Konto gibt. Melden Sie sich stattdessen an; wenn Sie Ihr Passwort vergessen haben, nutzen Sie „Passwort vergessen“ auf der Anmeldeseite.\n\nWaren Sie es nicht, ignorieren Sie diese Nachricht: Es hat sich nichts geändert.\n
mail-signup-code-subject = Ihr Bestätigungscode für Bastion
mail-signup-code-body = Hallo { $name },\n\nIhr Code zur Bestätigung Ihres Bastion-Kontos lautet { $code }.\nEr gilt einmal, 15 Minuten lang. Wenn Sie sich nicht registriert haben, ignorieren Sie diese Nachricht: Es wird nichts angelegt, bevor der Code eingegeben ist.\n
mail-reset-code-subject = Ihr Code zum Zurücksetzen des Bastion-Passworts
mail-reset-code-body = Hallo { $name },\n\nIhr Code zum Zurücksetzen Ihres Bastion-Passworts lautet { $code }.\nEr gilt einmal, 15 Minuten lang. Wenn Sie ihn nicht angefordert haben, ignorieren Sie diese Nachricht: Ihr Passwort bleibt, wie es ist.\n
mail-invitation-subject = { $inviter } hat Sie zu { $workspace } auf Bastion eingeladen
mail-invitation-body = Hallo,\n\n{ $inviter } lädt Sie ein, dem Arbeitsbereich „{ $workspace }“ auf Bastion als { $role } beizutreten.\n\nNehmen Sie die Einladung hier an (der Link gilt einmal, 7 Tage lang):\n{ $link }\n\nWenn Sie diese Person nicht kennen, ignorieren Sie diese Nachricht.\n
