status-todo = Zu erledigen
status-in-progress = In Arbeit
status-done = Erledigt
priority-low = Niedrig
priority-normal = Normal
priority-high = Hoch
priority-urgent = Dringend
unknown = Unbekannt
