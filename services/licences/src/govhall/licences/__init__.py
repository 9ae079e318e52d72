"""govhall.licences: electronic licences (电子证照): licence types, licences of levels A/B/C,
verification, grants that let a case read a licence, and the cloud drive (政务云盘)."""
