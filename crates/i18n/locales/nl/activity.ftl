# Het activiteitenoverzicht van de leden.
nav-activity = Activiteit
activity-title = Activiteit — Bastion
activity-workspace-title = Activiteit — { $workspace } — Bastion
activity-loading = De activiteit wordt geladen…
activity-heading = Activiteit
activity-explained = Wat er veranderde aan de taken die u kunt zien, het nieuwste eerst. Een gewijzigde tekst wordt hier genoemd, niet getoond: open de taak om hem te lezen.
activity-empty = Er is nog niets veranderd aan de taken die u kunt zien.
activity-empty-project = Er is nog niets veranderd aan de taken van dit project die u kunt zien.
activity-filter = De activiteit filteren
activity-project = Project
activity-all-projects = Alle projecten
activity-show = Tonen
activity-older = Oudere wijzigingen
activity-newest = Terug naar de nieuwste
activity-on = bij
hist-text-not-shown = gewijzigd (open de taak om het te lezen)
hist-text-set-not-shown = ingevuld (open de taak om het te lezen)
