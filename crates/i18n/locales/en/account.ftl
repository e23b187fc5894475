# The account page.
account-language-heading = Language
account-language-label = Language of the pages and emails
account-language-help = Dates and amounts follow the language's Belgian conventions.
account-language-save = Save language
two-factor-required-notice = The workspace { $workspace } requires two-factor sign-in. Turn it on here; then you can go on to the workspace.
two-factor-required-continue = Go on to { $workspace }
