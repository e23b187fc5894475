# Vues enregistrées de la liste des tâches, tri et colonnes visibles.
views-heading = Vues enregistrées
views-none = Aucune vue enregistrée. Filtrez et triez la liste, puis enregistrez-la ici sous un nom.
view-name = Nom de la vue
view-share = Partager avec l'espace de travail
view-save = Enregistrer la vue
view-saved = Vue « { $name } » enregistrée.
view-deleted = Vue supprimée.
view-delete = Supprimer
view-delete-named = Supprimer la vue { $name }
view-shared-badge = partagée
sort-by = Trier par
sort-created = Plus récentes d'abord
sort-updated = Modifiées récemment
sort-due = Échéance
sort-priority = Priorité
columns-legend = Colonnes
columns-hint = Ctrl ou ⌘ pour en choisir plusieurs
