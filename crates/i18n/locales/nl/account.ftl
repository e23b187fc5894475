account-language-heading = Taal
account-language-label = Taal van de pagina's en e-mails
account-language-help = Datums en bedragen volgen de Belgische gewoonten van de taal.
account-language-save = Taal opslaan
