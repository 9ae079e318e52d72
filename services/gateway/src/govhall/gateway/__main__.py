"""python -m govhall.gateway: the REST gateway in its own process."""

import uvicorn

from govhall.gateway.api import create_app, server_config
from govhall.gateway.settings import GatewaySettings
from govhall.kit import observability
from govhall.kit.settings import PlatformSettings

if __name__ == "__main__":
    settings, platform = GatewaySettings(), PlatformSettings()
    # Metrics on their own port (GOVHALL_GATEWAY_METRICS_PORT), not on the API's.
    observability.setup("gateway", platform.log_level, settings.metrics_port)
    password = platform.redis_password.get_secret_value() if platform.redis_password else None
    app = create_app(
        settings,
        platform.redis_url,
        platform.var_dir,
        redis_username=platform.redis_username,
        redis_password=password,
    )
    uvicorn.Server(server_config(app, settings, platform.log_level)).run()
