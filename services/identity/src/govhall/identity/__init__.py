"""govhall.identity: Unified identity (统一身份认证): accounts, real-name levels, staff, agents, tokens."""
