"""python -m govhall.gateway: the REST gateway in its own process."""

import uvicorn

from govhall.gateway.api import create_app, server_config
from govhall.gateway.settings import GatewaySettings
from govhall.kit import memory, observability
from govhall.kit.bus import create_bus
from govhall.kit.settings import PlatformSettings

if __name__ == "__main__":
    memory.limit_arenas()  # before any thread (kit/memory.py)
    settings, platform = GatewaySettings(), PlatformSettings()
    # Metrics on their own port (GOVHALL_GATEWAY_METRICS_PORT), not on the API's.
    observability.setup("gateway", platform.log_level, settings.metrics_port)
    password = platform.redis_password.get_secret_value() if platform.redis_password else None
    # NATS, as its own user, only to hear what makes cached public answers stale (cacheevents.py).
    bus = (
        create_bus(
            platform.nats_url,
            stream_prefix=platform.stream_prefix,
            user=platform.nats_user,
            password=platform.nats_password.get_secret_value() if platform.nats_password else None,
            jetstream_domain=platform.jetstream_domain,
        )
        if platform.nats_url
        else None
    )
    app = create_app(
        settings,
        platform.redis_url,
        platform.var_dir,
        redis_username=platform.redis_username,
        redis_password=password,
        bus=bus,
        own_bus=True,
    )
    memory.settle()  # the app built: start-up's garbage and freed memory gone before serving
    uvicorn.Server(server_config(app, settings, platform.log_level)).run()
