"""govhall.catalogue: Matter catalogue (事项与办事指南): sites, departments, matters and their guides."""
