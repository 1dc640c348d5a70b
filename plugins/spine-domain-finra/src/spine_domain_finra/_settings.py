"""The plugin's settings (``SPINE_FINRA_*``), kept light: the kernel imports this module to
learn the plugin's setting names whenever it validates settings."""

from __future__ import annotations

import spine
from pydantic import SecretStr


class FinraSettings(spine.SpineSettings):
    """``SPINE_FINRA_*``: where the API is, and the OAuth client when there is one."""

    finra_api_url: str = "https://api.finra.org"
    finra_token_url: str = (
        "https://ews.fip.finra.org/fip/rest/ews/oauth2/access_token?grant_type=client_credentials"
    )
    finra_client_id: str | None = None
    finra_client_secret: SecretStr | None = None
