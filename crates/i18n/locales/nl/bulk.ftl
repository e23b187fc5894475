# Bulkbewerking in de takenlijst.
bulk-title = Meerdere taken bewerken
bulk-select-all = Alles op deze pagina selecteren
bulk-selected = Geselecteerd: { $count }
bulk-change = Wijzigen
bulk-value = Nieuwe waarde
bulk-apply = Toepassen op selectie
bulk-add-tag = Label toevoegen
bulk-remove-tag = Label verwijderen
col-select = Selecteren
bulk-select-task = { $key } { $title } selecteren
bulk-changed = Taken gewijzigd: { $count }.
bulk-unchanged = Al zo ingesteld: { $count }.
bulk-forbidden = Overgeslagen, omdat u ze niet mag bewerken: { $keys }.
bulk-not-found = Niet gevonden: { $count }.
bulk-bad-selection = De selectie bevat iets wat geen taak is.
bulk-choose-value = Kies een waarde voor de wijziging.
bulk-choose-change = Kies wat u wilt wijzigen.
