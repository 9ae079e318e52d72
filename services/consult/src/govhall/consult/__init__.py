"""govhall.consult: Consultations, complaints and evaluations (咨询/投诉/好差评)."""
