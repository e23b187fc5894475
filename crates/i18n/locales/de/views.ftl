# Gespeicherte Ansichten der Aufgabenliste, Sortierung und sichtbare Spalten.
views-heading = Gespeicherte Ansichten
views-none = Noch keine gespeicherten Ansichten. Filtern und sortieren Sie die Liste und speichern Sie sie hier unter einem Namen.
view-name = Name der Ansicht
view-share = Mit dem Arbeitsbereich teilen
view-save = Ansicht speichern
view-saved = Ansicht „{ $name }“ gespeichert.
view-deleted = Ansicht gelöscht.
view-delete = Löschen
view-delete-named = Die Ansicht { $name } löschen
view-shared-badge = geteilt
sort-by = Sortieren nach
sort-created = Neueste zuerst
sort-updated = Zuletzt geändert
sort-due = Fälligkeit
sort-priority = Priorität
columns-legend = Spalten
columns-hint = Strg oder ⌘, um mehrere zu wählen
