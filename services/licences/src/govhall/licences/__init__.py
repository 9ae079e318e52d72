"""govhall.licences: Electronic licences (电子证照) and the cloud drive."""
