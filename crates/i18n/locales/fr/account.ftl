account-language-heading = Langue
account-language-label = Langue des pages et des e-mails
account-language-help = Les dates et les montants suivent les usages belges de la langue.
account-language-save = Enregistrer la langue
