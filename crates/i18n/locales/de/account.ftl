account-language-heading = Sprache
account-language-label = Sprache der Seiten und E-Mails
account-language-help = Datum und Beträge folgen den belgischen Gepflogenheiten der Sprache.
account-language-save = Sprache speichern
two-factor-required-notice = Der Arbeitsbereich { $workspace } verlangt die Anmeldung in zwei Schritten. Schalten Sie sie hier ein; danach können Sie zum Arbeitsbereich weitergehen.
two-factor-required-continue = Weiter zu { $workspace }
