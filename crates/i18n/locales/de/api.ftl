# REST-Fehlermeldungen (die `message` einer Fehlerantwort; der `code` ist in jeder Sprache derselbe).
api-unauthenticated = Melden Sie sich zuerst an.
api-invalid-token = Das API-Token ist unbekannt, abgelaufen oder widerrufen.
api-session-required = Dafür ist eine angemeldete Sitzung nötig: Ein API-Token wirkt nur auf die Endpunkte seines eigenen Arbeitsbereichs und auf GET /api/v1/me.
api-invalid-credentials = E-Mail-Adresse oder Passwort ist falsch.
api-not-found = Nicht gefunden.
api-two-factor-required = Dieser Arbeitsbereich verlangt die Zwei-Faktor-Anmeldung. Schalten Sie sie auf Ihrer Kontoseite ein (/account#two-factor) und versuchen Sie es dann erneut.
api-cross-origin = Anfrage von fremdem Ursprung abgelehnt.
api-rate-limited = Zu viele Anfragen; versuchen Sie es später erneut.
api-unavailable = Die Datenbank ist gerade nicht erreichbar; es wurde nichts geändert. Versuchen Sie es in einigen Sekunden erneut.
api-timeout = Die Anfrage dauerte länger, als der Server erlaubt; unvollendete Änderungen wurden zurückgenommen. Versuchen Sie es erneut, oder fragen Sie weniger auf einmal an.
api-internal = Bei uns ist etwas schiefgegangen; es wurde protokolliert.
api-last-admin = Dies ist der letzte aktive Administrator des Arbeitsbereichs. Machen Sie zuerst ein anderes Mitglied zum Administrator und ändern oder entfernen Sie dann diesen.
api-sso-required = Mitglieder von { $workspace } melden sich mit Single Sign-on an: { $link }
