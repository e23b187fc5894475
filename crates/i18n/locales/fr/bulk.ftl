# Modification groupée dans la liste des tâches.
bulk-title = Modifier plusieurs tâches
bulk-select-all = Tout sélectionner sur cette page
bulk-selected = Sélectionnées : { $count }
bulk-change = Modifier
bulk-value = Nouvelle valeur
bulk-apply = Appliquer à la sélection
bulk-add-tag = Ajouter une étiquette
bulk-remove-tag = Retirer une étiquette
col-select = Sélection
bulk-select-task = Sélectionner { $key } { $title }
bulk-changed = Tâches modifiées : { $count }.
bulk-unchanged = Déjà ainsi : { $count }.
bulk-forbidden = Ignorées, car vous ne pouvez pas les modifier : { $keys }.
bulk-not-found = Introuvables : { $count }.
bulk-bad-selection = La sélection contient autre chose qu’une tâche.
bulk-choose-value = Choisissez une valeur pour la modification.
bulk-choose-change = Choisissez ce qu’il faut modifier.
