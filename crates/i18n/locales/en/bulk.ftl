# Bulk edit on the task list.
bulk-title = Bulk edit
bulk-select-all = Select all on this page
bulk-selected = Selected: { $count }
bulk-change = Change
bulk-value = New value
bulk-apply = Apply to selected
bulk-add-tag = Add a tag
bulk-remove-tag = Remove a tag
col-select = Select
bulk-select-task = Select { $key } { $title }
bulk-changed = Tasks changed: { $count }.
bulk-unchanged = Already as asked: { $count }.
bulk-forbidden = Skipped, as you may not edit them: { $keys }.
bulk-not-found = Not found: { $count }.
bulk-bad-selection = The selection holds something that is not a task.
bulk-choose-value = Choose a value for the change.
bulk-choose-change = Choose what to change.
