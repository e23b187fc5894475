# The board's drag-and-drop and its keyboard moves (issue 15).
board-drag-help = Drücken Sie die Leertaste oder Eingabe, um die Karte aufzunehmen, die Pfeiltasten, um sie zu verschieben (links und rechts zwischen Spalten, auf und ab innerhalb einer Spalte), die Leertaste oder Eingabe, um sie abzulegen, und Escape, um sie zurückzulegen.
board-handle-label = { $key } auf dem Board verschieben
board-menu-label = { $key } verschieben
board-picked-up = { $key } aufgenommen. Spalte { $column }, Position { $position } von { $count }.
board-moved-to = { $key }: Spalte { $column }, Position { $position } von { $count }.
board-dropped = { $key } in Spalte { $column } abgelegt, Position { $position } von { $count }.
board-cancelled = Verschieben von { $key } abgebrochen. Zurück in Spalte { $column }, Position { $position } von { $count }.
mention-people = Zu erwähnende Personen
