-- Extensions every later migration may rely on.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
