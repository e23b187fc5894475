status-todo = Te doen
status-in-progress = Bezig
status-done = Klaar
priority-low = Laag
priority-normal = Normaal
priority-high = Hoog
priority-urgent = Dringend
unknown = Onbekend
