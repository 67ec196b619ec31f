-- 0002: green-channel cases (issue 6). A case groups a patient's ECGs and the time nodes from
-- symptom onset to wire crossing (or lysis, or "not STEMI"). Time nodes, flags and delay reasons
-- are append-only like events: a correction is a new row naming the row it supersedes.
-- Node kinds are validated by the workflow module (gc/workflow.hpp keys), not by a CHECK list,
-- so adding a kind does not need a table rebuild.

CREATE TABLE cases (
  id          INTEGER PRIMARY KEY,
  patient_id  TEXT NOT NULL,             -- pseudonymous; '' never joins another ECG
  -- The cart that opened it as it identified itself ('' for cases opened by hand). Not a foreign
  -- key: demo and imported cases name carts that are not registered here.
  device_id   TEXT NOT NULL DEFAULT '',
  clinic      TEXT NOT NULL,
  opened_ms   INTEGER NOT NULL,
  state       TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed')),
  outcome     TEXT NOT NULL DEFAULT 'pending' CHECK (outcome IN ('pending', 'stemi', 'not_stemi')),
  created_by  TEXT NOT NULL DEFAULT ''
) STRICT;
-- find-or-open: the open case of (cart, patient) within the joining window.
CREATE INDEX cases_by_device_patient ON cases(device_id, patient_id, opened_ms);
-- reports: cases of a period.
CREATE INDEX cases_by_opened ON cases(opened_ms);
-- Only state and outcome change (each change is also written to audit_log by CaseStore).
CREATE TRIGGER cases_identity_immutable
BEFORE UPDATE OF id, patient_id, device_id, clinic, opened_ms, created_by ON cases
BEGIN SELECT RAISE(ABORT, 'a case''s identity is immutable'); END;
CREATE TRIGGER cases_no_delete BEFORE DELETE ON cases
BEGIN SELECT RAISE(ABORT, 'cases are never deleted'); END;

-- The ECGs of a case. A study belongs to at most one case.
CREATE TABLE case_studies (
  case_id   INTEGER NOT NULL REFERENCES cases(id),
  study_id  INTEGER NOT NULL UNIQUE REFERENCES studies(id),
  linked_ms INTEGER NOT NULL,
  PRIMARY KEY (case_id, study_id)
) STRICT;
CREATE TRIGGER case_studies_no_update BEFORE UPDATE ON case_studies
BEGIN SELECT RAISE(ABORT, 'case_studies is append-only'); END;
CREATE TRIGGER case_studies_no_delete BEFORE DELETE ON case_studies
BEGIN SELECT RAISE(ABORT, 'case_studies is append-only'); END;

-- Time nodes: raw instant by the source's clock, corrected instant when the source was a cart
-- whose clock offset was measured at hello (both kept), who recorded it and when.
CREATE TABLE time_nodes (
  seq          INTEGER PRIMARY KEY AUTOINCREMENT,
  case_id      INTEGER NOT NULL REFERENCES cases(id),
  kind         TEXT NOT NULL CHECK (length(kind) BETWEEN 1 AND 64),
  raw_ms       INTEGER NOT NULL,
  corrected_ms INTEGER,
  source       TEXT NOT NULL CHECK (length(source) > 0),
  actor        TEXT NOT NULL DEFAULT '',
  clock        TEXT NOT NULL CHECK (length(clock) > 0),
  recorded_ms  INTEGER NOT NULL,
  supersedes   INTEGER REFERENCES time_nodes(seq),
  note         TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX time_nodes_by_case ON time_nodes(case_id, seq);
CREATE TRIGGER time_nodes_no_update BEFORE UPDATE ON time_nodes
BEGIN SELECT RAISE(ABORT, 'time_nodes are append-only'); END;
CREATE TRIGGER time_nodes_no_delete BEFORE DELETE ON time_nodes
BEGIN SELECT RAISE(ABORT, 'time_nodes are append-only'); END;
-- A correction supersedes an event of its own case.
CREATE TRIGGER time_nodes_supersedes_same_case BEFORE INSERT ON time_nodes
WHEN NEW.supersedes IS NOT NULL
     AND (SELECT case_id FROM time_nodes WHERE seq = NEW.supersedes) IS NOT NEW.case_id
BEGIN SELECT RAISE(ABORT, 'a correction must supersede a time node of the same case'); END;

-- Yes/no facts about the pathway (transfer, bypassed_ed, bypassed_ccu); the latest row wins.
CREATE TABLE case_flags (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  case_id     INTEGER NOT NULL REFERENCES cases(id),
  flag        TEXT NOT NULL CHECK (length(flag) BETWEEN 1 AND 64),
  value       INTEGER NOT NULL CHECK (value IN (0, 1)),
  source      TEXT NOT NULL CHECK (length(source) > 0),
  actor       TEXT NOT NULL DEFAULT '',
  recorded_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX case_flags_by_case ON case_flags(case_id, seq);
CREATE TRIGGER case_flags_no_update BEFORE UPDATE ON case_flags
BEGIN SELECT RAISE(ABORT, 'case_flags are append-only'); END;
CREATE TRIGGER case_flags_no_delete BEFORE DELETE ON case_flags
BEGIN SELECT RAISE(ABORT, 'case_flags are append-only'); END;

-- Why an interval was late ('' interval_key: the case as a whole), shown with the outliers.
CREATE TABLE delay_reasons (
  seq          INTEGER PRIMARY KEY AUTOINCREMENT,
  case_id      INTEGER NOT NULL REFERENCES cases(id),
  interval_key TEXT NOT NULL DEFAULT '',
  reason       TEXT NOT NULL CHECK (length(reason) > 0),
  actor        TEXT NOT NULL DEFAULT '',
  recorded_ms  INTEGER NOT NULL
) STRICT;
CREATE INDEX delay_reasons_by_case ON delay_reasons(case_id, seq);
CREATE TRIGGER delay_reasons_no_update BEFORE UPDATE ON delay_reasons
BEGIN SELECT RAISE(ABORT, 'delay_reasons are append-only'); END;
CREATE TRIGGER delay_reasons_no_delete BEFORE DELETE ON delay_reasons
BEGIN SELECT RAISE(ABORT, 'delay_reasons are append-only'); END;
