# Opgeslagen weergaven van de takenlijst, sorteren en zichtbare kolommen.
views-heading = Opgeslagen weergaven
views-none = Nog geen opgeslagen weergaven. Filter en sorteer de lijst en bewaar ze hier onder een naam.
view-name = Naam van de weergave
view-share = Delen met de werkruimte
view-save = Weergave opslaan
view-saved = Weergave "{ $name }" opgeslagen.
view-deleted = Weergave verwijderd.
view-delete = Verwijderen
view-delete-named = De weergave { $name } verwijderen
view-shared-badge = gedeeld
sort-by = Sorteren op
sort-created = Nieuwste eerst
sort-updated = Recent gewijzigd
sort-due = Vervaldatum
sort-priority = Prioriteit
columns-legend = Kolommen
columns-hint = Ctrl of ⌘ om er meerdere te kiezen
