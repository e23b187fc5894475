# The account page.
account-language-heading = Language
account-language-label = Language of the pages and emails
account-language-help = Dates and amounts follow the language's Belgian conventions.
account-language-save = Save language
