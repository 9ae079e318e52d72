"""govhall.gateway: The public REST door for portals (FastAPI), mapping onto gRPC services."""
