"""The e2e journeys: a package, so that the cluster they share (package scope) stops after the last."""
