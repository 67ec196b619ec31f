-- 0001: the initial schema. Applied in one transaction by Store::open; PRAGMA user_version then
-- records 1. Never edit a released migration: add NNNN_description.sql instead.
-- STRICT tables so a wrong type is an error, not a silent conversion.

-- Which migrations ran, and when (user_version is the authority; this is the history).
CREATE TABLE schema_migrations (
  version    INTEGER PRIMARY KEY,
  applied_ms INTEGER NOT NULL
) STRICT;

-- Carts. Only a slow salted hash of the secret is kept (PBKDF2-HMAC-SHA256).
CREATE TABLE devices (
  device_id      TEXT PRIMARY KEY NOT NULL,
  clinic         TEXT NOT NULL,
  hash_algorithm TEXT NOT NULL CHECK (hash_algorithm = 'pbkdf2-hmac-sha256'),
  secret_hash    BLOB NOT NULL,
  salt           BLOB NOT NULL,
  iterations     INTEGER NOT NULL CHECK (iterations >= 100000),
  created_ms     INTEGER NOT NULL,
  revoked_ms     INTEGER
) STRICT;

-- One ECG acquisition. Times keep their source and clock: (unix_ms, source, clock) or all NULL.
CREATE TABLE studies (
  id                        INTEGER PRIMARY KEY,
  device_id                 TEXT NOT NULL REFERENCES devices(device_id),
  study_uid                 TEXT NOT NULL CHECK (length(study_uid) BETWEEN 1 AND 128),
  n_leads                   INTEGER NOT NULL CHECK (n_leads > 0),
  sample_rate_hz            INTEGER NOT NULL CHECK (sample_rate_hz > 0),
  resolution_nv_per_lsb     REAL NOT NULL CHECK (resolution_nv_per_lsb > 0),
  derive_limb_leads         INTEGER NOT NULL CHECK (derive_limb_leads IN (0, 1)),
  patient_id                TEXT NOT NULL,
  age_years                 INTEGER,
  sex                       TEXT NOT NULL CHECK (sex IN ('', 'M', 'F')),
  chest_pain                INTEGER NOT NULL CHECK (chest_pain IN (0, 1)),
  symptom_onset_unix_ms     INTEGER,
  symptom_onset_source      TEXT,
  symptom_onset_clock       TEXT,
  fmc_unix_ms               INTEGER,
  fmc_source                TEXT,
  fmc_clock                 TEXT,
  acquired_at_unix_ms       INTEGER,
  acquired_at_source        TEXT,
  acquired_at_clock         TEXT,
  expected_samples_per_lead INTEGER NOT NULL CHECK (expected_samples_per_lead >= 0),
  -- Every chunk with a lower sequence is stored; the next chunk must start at
  -- received_samples_per_lead.
  next_sequence             INTEGER NOT NULL DEFAULT 0 CHECK (next_sequence >= 0),
  received_samples_per_lead INTEGER NOT NULL DEFAULT 0 CHECK (received_samples_per_lead >= 0),
  complete                  INTEGER NOT NULL DEFAULT 0 CHECK (complete IN (0, 1)),
  total_samples_per_lead    INTEGER,
  samples_crc32             INTEGER,
  created_ms                INTEGER NOT NULL,
  completed_ms              INTEGER,
  UNIQUE (device_id, study_uid),
  CHECK ((symptom_onset_unix_ms IS NULL) = (symptom_onset_source IS NULL)
         AND (symptom_onset_unix_ms IS NULL) = (symptom_onset_clock IS NULL)),
  CHECK ((fmc_unix_ms IS NULL) = (fmc_source IS NULL)
         AND (fmc_unix_ms IS NULL) = (fmc_clock IS NULL)),
  CHECK ((acquired_at_unix_ms IS NULL) = (acquired_at_source IS NULL)
         AND (acquired_at_unix_ms IS NULL) = (acquired_at_clock IS NULL)),
  CHECK (complete = 0 OR (total_samples_per_lead IS NOT NULL AND samples_crc32 IS NOT NULL
                          AND completed_ms IS NOT NULL))
) STRICT;
-- open_studies(device) scans a cart's incomplete studies.
CREATE INDEX studies_open_by_device ON studies(device_id, complete);

-- The explicit lead list, in channel order.
CREATE TABLE study_leads (
  study_id INTEGER NOT NULL REFERENCES studies(id),
  position INTEGER NOT NULL CHECK (position >= 0),
  lead     TEXT NOT NULL CHECK (length(lead) > 0),
  PRIMARY KEY (study_id, position),
  UNIQUE (study_id, lead)
) STRICT;

-- Samples exactly as received: int32 little-endian, interleaved by sample (n_leads x n).
CREATE TABLE chunks (
  study_id            INTEGER NOT NULL REFERENCES studies(id),
  sequence            INTEGER NOT NULL CHECK (sequence >= 0),
  first_sample_index  INTEGER NOT NULL CHECK (first_sample_index >= 0),
  n_samples_per_lead  INTEGER NOT NULL CHECK (n_samples_per_lead > 0),
  samples             BLOB NOT NULL,
  received_ms         INTEGER NOT NULL,
  PRIMARY KEY (study_id, sequence)
) STRICT;
-- Stored samples are never altered: a clinical record.
CREATE TRIGGER chunks_immutable BEFORE UPDATE ON chunks
BEGIN SELECT RAISE(ABORT, 'chunks are immutable'); END;
CREATE TRIGGER chunks_no_delete BEFORE DELETE ON chunks
BEGIN SELECT RAISE(ABORT, 'chunks are immutable'); END;

CREATE TABLE analyses (
  id         INTEGER PRIMARY KEY,
  study_id   INTEGER NOT NULL REFERENCES studies(id),
  created_ms INTEGER NOT NULL,
  category   TEXT NOT NULL,
  tier       TEXT NOT NULL,
  json       TEXT NOT NULL CHECK (json_valid(json))
) STRICT;
CREATE INDEX analyses_by_study ON analyses(study_id, id);

CREATE TABLE alerts (
  id         INTEGER PRIMARY KEY,
  study_id   INTEGER NOT NULL REFERENCES studies(id),
  tier       TEXT NOT NULL,
  category   TEXT NOT NULL,
  summary_en TEXT NOT NULL,
  summary_zh TEXT NOT NULL,
  state      TEXT NOT NULL,
  raised_ms  INTEGER NOT NULL
) STRICT;
CREATE INDEX alerts_by_study ON alerts(study_id, id);
CREATE INDEX alerts_by_state ON alerts(state, raised_ms);

-- Timeline: append-only. A correction is a new row naming the row it corrects (corrects_seq).
CREATE TABLE events (
  seq               INTEGER PRIMARY KEY AUTOINCREMENT,
  study_id          INTEGER REFERENCES studies(id),
  kind              TEXT NOT NULL CHECK (length(kind) > 0),
  at_unix_ms        INTEGER NOT NULL,
  at_source         TEXT NOT NULL,
  at_clock          TEXT NOT NULL,
  corrected_unix_ms INTEGER,
  recorded_ms       INTEGER NOT NULL,
  actor             TEXT NOT NULL DEFAULT '',
  corrects_seq      INTEGER REFERENCES events(seq),
  detail_json       TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(detail_json))
) STRICT;
CREATE INDEX events_by_study ON events(study_id, seq);
CREATE INDEX events_by_kind ON events(kind, at_unix_ms);
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;

-- Who changed what (device registration, revocation, user actions): append-only.
CREATE TABLE audit_log (
  seq    INTEGER PRIMARY KEY AUTOINCREMENT,
  at_ms  INTEGER NOT NULL,
  actor  TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  detail TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
