# Messages d'erreur REST (le `message` d'une réponse d'erreur ; le `code` est le même dans toutes les langues).
api-unauthenticated = Connectez-vous d'abord.
api-invalid-token = Le jeton d'API est inconnu, expiré ou révoqué.
api-session-required = Ceci demande une session connectée : un jeton d'API n'agit que sur les points d'accès de son propre espace de travail et sur GET /api/v1/me.
api-invalid-credentials = L'adresse e-mail ou le mot de passe est incorrect.
api-not-found = Introuvable.
api-two-factor-required = Cet espace de travail exige la connexion en deux étapes. Activez-la sur la page de votre compte (/account#two-factor), puis réessayez.
api-cross-origin = Requête d'une autre origine refusée.
api-rate-limited = Trop de requêtes ; réessayez plus tard.
api-unavailable = La base de données est injoignable pour le moment ; rien n'a été modifié. Réessayez dans quelques secondes.
api-timeout = La requête a pris plus de temps que le serveur ne le permet ; les modifications inachevées ont été annulées. Réessayez, ou demandez moins à la fois.
api-internal = Une erreur s'est produite de notre côté ; elle a été consignée.
api-last-admin = C'est le dernier administrateur actif de l'espace de travail. Nommez d'abord un autre membre administrateur, puis modifiez ou retirez celui-ci.
api-sso-required = Les membres de { $workspace } se connectent par authentification unique : { $link }
