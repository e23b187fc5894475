# Refusals people read beside a form or on a page.
error-unauthenticated = Sign in first.
error-rate-limited = Too many attempts. Try again in { $wait }.
wait-seconds = { $count } seconds
wait-a-minute = a minute
wait-minutes = { $count } minutes
error-timeout = That took longer than the server allows, so nothing was changed. Try again, or ask for less at once.
error-unavailable = Bastion cannot reach its database just now, so nothing was changed. Try again in a few seconds.
error-internal = Something went wrong on our side; it has been logged.
error-transport = Bastion could not be reached ({ $cause }). Check your connection and try again.
error-not-found = This does not exist, or you may not see it.
error-last-admin = This is the workspace's last active admin. Make another member an admin first, then change or remove this one.
