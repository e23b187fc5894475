# Le fil d'activité des membres.
nav-activity = Activité
activity-title = Activité — Bastion
activity-workspace-title = Activité — { $workspace } — Bastion
activity-loading = Chargement de l'activité…
activity-heading = Activité
activity-explained = Ce qui a changé sur les tâches que vous pouvez voir, du plus récent au plus ancien. Un texte modifié est signalé ici, pas affiché : ouvrez la tâche pour le lire.
activity-empty = Rien n'a encore changé sur les tâches que vous pouvez voir.
activity-empty-project = Rien n'a encore changé sur les tâches de ce projet que vous pouvez voir.
activity-filter = Filtrer l'activité
activity-project = Projet
activity-all-projects = Tous les projets
activity-show = Afficher
activity-older = Modifications plus anciennes
activity-newest = Retour aux plus récentes
activity-on = sur
hist-text-not-shown = modifié (ouvrez la tâche pour le lire)
hist-text-set-not-shown = renseigné (ouvrez la tâche pour le lire)
