# REST-foutmeldingen (de `message` van een foutantwoord; de `code` is in elke taal dezelfde).
api-unauthenticated = Meld u eerst aan.
api-invalid-token = Het API-token is onbekend, verlopen of ingetrokken.
api-session-required = Hiervoor is een aangemelde sessie nodig: een API-token werkt alleen op de endpoints van zijn eigen werkruimte en op GET /api/v1/me.
api-invalid-credentials = Het e-mailadres of het wachtwoord is onjuist.
api-not-found = Niet gevonden.
api-two-factor-required = Deze werkruimte vereist tweestapsaanmelding. Zet die aan op uw accountpagina (/account#two-factor) en probeer het dan opnieuw.
api-cross-origin = Verzoek van een andere oorsprong geweigerd.
api-rate-limited = Te veel verzoeken; probeer het later opnieuw.
api-unavailable = De database is nu niet bereikbaar; er is niets gewijzigd. Probeer het over enkele seconden opnieuw.
api-timeout = Het verzoek duurde langer dan de server toestaat; onvoltooide wijzigingen zijn teruggedraaid. Probeer het opnieuw, of vraag minder tegelijk.
api-internal = Er ging bij ons iets mis; het is gelogd.
api-last-admin = Dit is de laatste actieve beheerder van de werkruimte. Maak eerst een ander lid beheerder en wijzig of verwijder daarna deze.
api-sso-required = Leden van { $workspace } melden zich aan met single sign-on: { $link }
