from django.core.exceptions import ValidationError


class CharacterClassValidator:
    """DoD password complexity: at least one upper-case letter, lower-case letter, digit and
    special character."""

    def validate(self, password, user=None):
        missing = [words for test, words in (
            (str.isupper, "an upper-case letter"), (str.islower, "a lower-case letter"),
            (str.isdigit, "a digit"), (lambda c: not c.isalnum(), "a special character"),
        ) if not any(test(c) for c in password)]
        if missing:
            raise ValidationError("The password needs " + ", ".join(missing) + ".", code="password_too_simple")

    def get_help_text(self):
        return "Your password needs upper- and lower-case letters, a digit and a special character."
