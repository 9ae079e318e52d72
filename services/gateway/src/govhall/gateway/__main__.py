"""python -m govhall.gateway: the REST gateway in its own process."""

import uvicorn

from govhall.gateway.api import create_app
from govhall.gateway.settings import GatewaySettings
from govhall.kit import observability
from govhall.kit.settings import PlatformSettings

if __name__ == "__main__":
    settings, platform = GatewaySettings(), PlatformSettings()
    observability.setup("gateway", platform.log_level)
    uvicorn.run(
        create_app(settings, platform.redis_url, platform.var_dir),
        host=settings.host,
        port=settings.port,
        log_level=platform.log_level.lower(),
        # Leave logging to ours: uvicorn's own handlers would bypass the redaction of ID and
        # mobile numbers (an access-log line carries the query string).
        log_config=None,
        proxy_headers=True,
    )
