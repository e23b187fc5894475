# Tasks, projects, the list, the board and the task page.
status-todo = To do
status-in-progress = In progress
status-done = Done
priority-low = Low
priority-normal = Normal
priority-high = High
priority-urgent = Urgent
unknown = Unknown
