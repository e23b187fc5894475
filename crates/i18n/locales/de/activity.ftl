# Der Aktivitätsverlauf der Mitglieder.
nav-activity = Aktivität
activity-title = Aktivität — Bastion
activity-workspace-title = Aktivität — { $workspace } — Bastion
activity-loading = Die Aktivität wird geladen…
activity-heading = Aktivität
activity-explained = Was sich an den Aufgaben geändert hat, die Sie sehen können, das Neueste zuerst. Ein geänderter Text wird hier genannt, nicht gezeigt: Öffnen Sie die Aufgabe, um ihn zu lesen.
activity-empty = An den Aufgaben, die Sie sehen können, hat sich noch nichts geändert.
activity-empty-project = An den Aufgaben dieses Projekts, die Sie sehen können, hat sich noch nichts geändert.
activity-filter = Die Aktivität filtern
activity-project = Projekt
activity-all-projects = Alle Projekte
activity-show = Anzeigen
activity-older = Ältere Änderungen
activity-newest = Zurück zu den neuesten
activity-on = bei
hist-text-not-shown = geändert (öffnen Sie die Aufgabe, um ihn zu lesen)
hist-text-set-not-shown = eingetragen (öffnen Sie die Aufgabe, um ihn zu lesen)
