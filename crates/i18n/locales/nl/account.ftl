account-language-heading = Taal
account-language-label = Taal van de pagina's en e-mails
account-language-help = Datums en bedragen volgen de Belgische gewoonten van de taal.
account-language-save = Taal opslaan
two-factor-required-notice = De werkruimte { $workspace } vereist aanmelden in twee stappen. Schakel het hier in; daarna kun je verder naar de werkruimte.
two-factor-required-continue = Verder naar { $workspace }
