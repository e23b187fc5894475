# Saved views of the task list, sorting and visible columns.
views-heading = Saved views
views-none = No saved views yet. Filter and sort the list, then save it here under a name.
view-name = View name
view-share = Share with the workspace
view-save = Save view
view-saved = View "{ $name }" saved.
view-deleted = View deleted.
view-delete = Delete
view-delete-named = Delete the view { $name }
view-shared-badge = shared
sort-by = Sort by
sort-created = Newest first
sort-updated = Recently changed
sort-due = Due date
sort-priority = Priority
columns-legend = Columns
columns-hint = Ctrl or ⌘ to choose several
