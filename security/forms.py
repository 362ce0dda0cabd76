from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import authenticate
from django.contrib.auth.forms import AuthenticationForm

from .services import consent_acknowledge

# The standard DoD Notice and Consent Banner (DoDI 8500.01 / DoD CIO memorandum, 9 May 2008).
NOTICE_AND_CONSENT = (
    "You are accessing a U.S. Government (USG) Information System (IS) that is provided for "
    "USG-authorized use only. By using this IS (which includes any device attached to this IS), you "
    "consent to the following conditions:",
    "The USG routinely intercepts and monitors communications on this IS for purposes including, but not "
    "limited to, penetration testing, COMSEC monitoring, network operations and defense, personnel misconduct "
    "(PM), law enforcement (LE), and counterintelligence (CI) investigations.",
    "At any time, the USG may inspect and seize data stored on this IS.",
    "Communications using, or data stored on, this IS are not private, are subject to routine monitoring, "
    "interception, and search, and may be disclosed or used for any USG-authorized purpose.",
    "This IS includes security measures (e.g., authentication and access controls) to protect USG "
    "interests--not for your personal benefit or privacy.",
    "Notwithstanding the above, using this IS does not constitute consent to PM, LE or CI investigative "
    "searching or monitoring of the content of privileged communications, or work product, related to personal "
    "representation or services by attorneys, psychotherapists, or clergy, and their assistants. Such "
    "communications and work product are private and confidential. See User Agreement for details.",
)


class ConsentAuthenticationForm(AdminAuthenticationForm):
    """Sign-in that requires acknowledging the DoD Notice and Consent Banner first, with a password
    or, when a trusted proxy presents one (``security.middleware.SmartCardMiddleware``), with the
    smart card's certificate. The acknowledgment is recorded with its time."""

    consent = forms.BooleanField(
        required=True, label="I have read the notice above and consent to its terms.",
        error_messages={"required": "Acknowledge the DoD Notice and Consent Banner to sign in."},
    )
    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "unknown_certificate": "No account may sign in with this smart card certificate. Ask your account "
                               "administrator to record its subject or EDIPI on your security profile, or sign "
                               "in with your user name and password.",
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.smart_card_identity = getattr(request, "smart_card_identity", None)
        if self.smart_card_identity:
            self.fields["username"].required = False
            self.fields["password"].required = False

    def confirm_login_allowed(self, user):
        """An active account of someone who works here: a current membership or a system
        administrator (``organizations.authority.is_staff_member``), not a hand-ticked flag."""
        from organizations.authority import is_staff_member

        AuthenticationForm.confirm_login_allowed(self, user)
        if not is_staff_member(user):
            raise forms.ValidationError(self.error_messages["invalid_login"], code="invalid_login",
                                        params={"username": self.username_field.verbose_name})

    def clean(self):
        # Refuse before checking the password, so no attempt is made without consent.
        if not self.cleaned_data.get("consent"):
            raise forms.ValidationError(self.fields["consent"].error_messages["required"], code="no_consent")
        by_card = bool(self.smart_card_identity) and bool(self.data.get("smart_card")
                                                          or not self.cleaned_data.get("username"))
        if by_card:
            self.user_cache = authenticate(self.request, smart_card_identity=self.smart_card_identity)
            if self.user_cache is None:
                raise forms.ValidationError(self.error_messages["unknown_certificate"], code="unknown_certificate")
            self.confirm_login_allowed(self.user_cache)
        else:
            super().clean()
        if self.user_cache is not None and self.request is not None:
            at = consent_acknowledge(user=self.user_cache)
            # Read by the sign-in audit event (security.signals), which carries the acknowledgment.
            self.request.sign_in_detail = {
                "consent_acknowledged_at": at.isoformat(),
                **({"smart_card": self.smart_card_identity} if by_card else {}),
            }
        return self.cleaned_data
