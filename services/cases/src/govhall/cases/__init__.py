"""govhall.cases: Cases (办件): applications, handling state machine, working-day clock."""
