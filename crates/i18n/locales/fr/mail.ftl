mail-signup-exists-subject = Inscription à Bastion
mail-signup-exists-body = Bonjour,\n\nQuelqu’un (peut-être vous) a essayé de s’inscrire à Bastion avec cette adresse, qui a déjà un compte. Connectez-vous plutôt ; si vous avez oublié votre mot de passe, utilisez « Mot de passe oublié » sur la page de connexion.\n\nSi ce n’était pas vous, ignorez ce message : rien n’a changé.\n
mail-signup-code-subject = Votre code de confirmation Bastion
mail-signup-code-body = Bonjour { $name },\n\nVotre code pour confirmer votre compte Bastion est { $code }.\nIl fonctionne une fois, pendant 15 minutes. Si vous ne vous êtes pas inscrit·e, ignorez ce message : rien n’est créé tant que le code n’est pas saisi.\n
mail-reset-code-subject = Votre code de réinitialisation du mot de passe Bastion
mail-reset-code-body = Bonjour { $name },\n\nVotre code pour réinitialiser votre mot de passe Bastion est { $code }.\nIl fonctionne une fois, pendant 15 minutes. Si vous ne l’avez pas demandé, ignorez ce message : votre mot de passe reste inchangé.\n
mail-invitation-subject = { $inviter } vous invite à rejoindre { $workspace } sur Bastion
mail-invitation-body = Bonjour,\n\n{ $inviter } vous invite à rejoindre l’espace de travail « { $workspace } » sur Bastion en tant que { $role }.\n\nAcceptez l’invitation ici (le lien fonctionne une fois, pendant 7 jours) :\n{ $link }\n\nSi vous ne connaissez pas cette personne, ignorez ce message.\n
