mail-signup-exists-subject = Registreren bij Bastion
mail-signup-exists-body = Hallo,\n\nIemand (misschien u) probeerde zich bij Bastion te registreren met dit adres, dat al een account heeft. Meld u in de plaats daarvan aan; bent u uw wachtwoord vergeten, gebruik dan "Wachtwoord vergeten" op de aanmeldpagina.\n\nWas u het niet, negeer dan dit bericht: er is niets gewijzigd.\n
mail-signup-code-subject = Uw bevestigingscode voor Bastion
mail-signup-code-body = Hallo { $name },\n\nUw code om uw Bastion-account te bevestigen is { $code }.\nDe code werkt één keer, 15 minuten lang. Hebt u zich niet geregistreerd, negeer dan dit bericht: er wordt niets aangemaakt zolang de code niet is ingevoerd.\n
mail-reset-code-subject = Uw code om uw Bastion-wachtwoord te herstellen
mail-reset-code-body = Hallo { $name },\n\nUw code om uw Bastion-wachtwoord te herstellen is { $code }.\nDe code werkt één keer, 15 minuten lang. Hebt u er niet om gevraagd, negeer dan dit bericht: uw wachtwoord blijft ongewijzigd.\n
mail-invitation-subject = { $inviter } nodigt u uit voor { $workspace } op Bastion
mail-invitation-body = Hallo,\n\n{ $inviter } nodigt u uit om lid te worden van de werkruimte "{ $workspace }" op Bastion, als { $role }.\n\nAanvaard de uitnodiging hier (de link werkt één keer, 7 dagen lang):\n{ $link }\n\nKent u deze persoon niet, negeer dan dit bericht.\n
