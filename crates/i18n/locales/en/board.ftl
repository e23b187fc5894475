# The board's drag-and-drop and its keyboard moves (issue 15).
board-drag-help = Press Space or Enter to pick up the card, the arrow keys to move it (left and right between columns, up and down within one), Space or Enter to drop it, Escape to put it back.
board-handle-label = Move { $key } on the board
board-menu-label = Move { $key }
board-picked-up = Picked up { $key }. Column { $column }, position { $position } of { $count }.
board-moved-to = { $key }: column { $column }, position { $position } of { $count }.
board-dropped = Dropped { $key } in column { $column }, position { $position } of { $count }.
board-cancelled = Move of { $key } cancelled. Back in column { $column }, position { $position } of { $count }.
mention-people = People to mention
