"""Generated from protos/govhall by `make protos`; do not edit."""
