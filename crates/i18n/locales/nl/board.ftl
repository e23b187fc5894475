# The board's drag-and-drop and its keyboard moves (issue 15).
board-drag-help = Druk op Spatie of Enter om de kaart op te nemen, gebruik de pijltoetsen om ze te verplaatsen (links en rechts tussen kolommen, omhoog en omlaag binnen een kolom), Spatie of Enter om ze neer te zetten en Escape om ze terug te zetten.
board-handle-label = { $key } op het bord verplaatsen
board-menu-label = { $key } verplaatsen
board-picked-up = { $key } opgenomen. Kolom { $column }, positie { $position } van { $count }.
board-moved-to = { $key }: kolom { $column }, positie { $position } van { $count }.
board-dropped = { $key } neergezet in kolom { $column }, positie { $position } van { $count }.
board-cancelled = Verplaatsen van { $key } geannuleerd. Terug in kolom { $column }, positie { $position } van { $count }.
mention-people = Te noemen personen
