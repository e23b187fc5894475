# Sammelbearbeitung in der Aufgabenliste.
bulk-title = Mehrere Aufgaben bearbeiten
bulk-select-all = Alle auf dieser Seite auswählen
bulk-selected = Ausgewählt: { $count }
bulk-change = Ändern
bulk-value = Neuer Wert
bulk-apply = Auf Auswahl anwenden
bulk-add-tag = Schlagwort hinzufügen
bulk-remove-tag = Schlagwort entfernen
col-select = Auswahl
bulk-select-task = { $key } { $title } auswählen
bulk-changed = Geänderte Aufgaben: { $count }.
bulk-unchanged = Bereits so: { $count }.
bulk-forbidden = Übersprungen, da Sie sie nicht bearbeiten dürfen: { $keys }.
bulk-not-found = Nicht gefunden: { $count }.
bulk-bad-selection = Die Auswahl enthält etwas, das keine Aufgabe ist.
bulk-choose-value = Wählen Sie einen Wert für die Änderung.
bulk-choose-change = Wählen Sie, was geändert werden soll.
