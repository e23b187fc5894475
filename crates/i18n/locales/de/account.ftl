account-language-heading = Sprache
account-language-label = Sprache der Seiten und E-Mails
account-language-help = Datum und Beträge folgen den belgischen Gepflogenheiten der Sprache.
account-language-save = Sprache speichern
