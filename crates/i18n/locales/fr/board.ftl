# The board's drag-and-drop and its keyboard moves (issue 15).
board-drag-help = Appuyez sur Espace ou Entrée pour prendre la carte, sur les flèches pour la déplacer (gauche et droite entre les colonnes, haut et bas dans une colonne), sur Espace ou Entrée pour la déposer, sur Échap pour la remettre en place.
board-handle-label = Déplacer { $key } sur le tableau
board-menu-label = Déplacer { $key }
board-picked-up = { $key } prise. Colonne { $column }, position { $position } sur { $count }.
board-moved-to = { $key } : colonne { $column }, position { $position } sur { $count }.
board-dropped = { $key } déposée dans la colonne { $column }, position { $position } sur { $count }.
board-cancelled = Déplacement de { $key } annulé. De retour dans la colonne { $column }, position { $position } sur { $count }.
mention-people = Personnes à mentionner
