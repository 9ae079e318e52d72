"""Each service's event contract: one registry of subject -> message type and schema version.

Why here, in the govhall-protos distribution beside the generated stubs, and not in the kit
or in the services:

- A consumer must not import the publishing service (the catalogue would pull in all of cases
  to count submissions), so the registry cannot live in a service package.
- The kit must not depend on any one service's contract: it holds only the generic machinery
  (`govhall.kit.events`: stamping, decoding, skipping) and is handed a registry by the
  service that consumes. This package depends on the generated messages and on protobuf only,
  never on the kit, so there is no cycle: kit -> protos (and this), services -> both.
- The subjects and their messages change together with the .proto files, in the same review:
  the wire contract of a service is its .proto plus this module.

`generate.py` rewrites only `govhall/protos`; this package is written by hand.
"""
