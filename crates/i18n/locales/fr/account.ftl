account-language-heading = Langue
account-language-label = Langue des pages et des e-mails
account-language-help = Les dates et les montants suivent les usages belges de la langue.
account-language-save = Enregistrer la langue
two-factor-required-notice = L’espace de travail { $workspace } exige la connexion en deux étapes. Activez-la ici ; vous pourrez ensuite continuer vers l’espace de travail.
two-factor-required-continue = Continuer vers { $workspace }
