"""Consult's events: what it publishes (subjects and messages in `govhall.contracts.consult`,
built here with `kit.events.make_event`) and what it consumes (`subscribe`).

Favourites publish nothing. Letters, evaluations and error reports publish their changes; the
inbox consumes every service's events that concern a user.
"""

from __future__ import annotations

from govhall.contracts import consult as contract

REGISTRY = contract.REGISTRY
