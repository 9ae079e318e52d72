"""govhall.consult: consultations, complaints, evaluations (好差评), error reports, favourites and
the user's inbox (我的消息)."""
