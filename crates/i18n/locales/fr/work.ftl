status-todo = À faire
status-in-progress = En cours
status-done = Terminé
priority-low = Basse
priority-normal = Normale
priority-high = Haute
priority-urgent = Urgente
unknown = Inconnu
