# The members' activity feed.
nav-activity = Activity
activity-title = Activity — Bastion
activity-workspace-title = Activity — { $workspace } — Bastion
activity-loading = Loading the activity…
activity-heading = Activity
activity-explained = What changed on the tasks you can see, newest first. A text that changed is named here, not shown: open the task to read it.
activity-empty = Nothing has changed yet on the tasks you can see.
activity-empty-project = Nothing has changed yet on the tasks of this project that you can see.
activity-filter = Filter the activity
activity-project = Project
activity-all-projects = All projects
activity-show = Show
activity-older = Older changes
activity-newest = Back to the newest
activity-on = on
hist-text-not-shown = changed (open the task to read it)
hist-text-set-not-shown = set (open the task to read it)
