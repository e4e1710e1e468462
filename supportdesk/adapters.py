"""allauth hooks: closed sign-up and role-based landing pages."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter

from supportdesk.selectors import user_home_url


class DeskAccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        """Accounts are created by a tenant (staff, contacts), never by strangers."""
        return False

    def get_login_redirect_url(self, request) -> str:
        return user_home_url(user=request.user)


class DeskMFAAdapter(DefaultMFAAdapter):
    def get_totp_label(self, user) -> str:
        tenant = f" ({user.tenant.name})" if user.tenant_id else ""
        return f"{user.email}{tenant}"
