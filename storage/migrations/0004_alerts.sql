-- 0004: the alert lifecycle at run time (issue 6): every transition with its actor, time and
-- reason; every page of the escalation chain and how each channel delivered it; the on-call roster
-- (versioned: a new roster is a new version, the old ones stay for the audit); and the outbox of
-- AlertUpdate frames for carts that were offline when their alert changed.
-- alerts.state stays the current state: AlertStore updates it in the transaction that appends
-- the transition.

CREATE TABLE alert_transitions (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  alert_id   INTEGER NOT NULL REFERENCES alerts(id),
  from_state TEXT NOT NULL,  -- '' for the raise
  to_state   TEXT NOT NULL CHECK (to_state IN ('raised', 'acknowledged', 'confirmed', 'rejected',
                                                'green_channel', 'closed')),
  at_ms      INTEGER NOT NULL,
  actor      TEXT NOT NULL CHECK (length(actor) > 0),
  reason     TEXT NOT NULL DEFAULT '',
  note       TEXT NOT NULL DEFAULT '',
  CHECK (to_state <> 'rejected' OR length(reason) > 0)
) STRICT;
CREATE INDEX alert_transitions_by_alert ON alert_transitions(alert_id, seq);
-- One raise per alert.
CREATE UNIQUE INDEX alert_transitions_one_raise ON alert_transitions(alert_id)
  WHERE to_state = 'raised';
CREATE TRIGGER alert_transitions_no_update BEFORE UPDATE ON alert_transitions
BEGIN SELECT RAISE(ABORT, 'alert_transitions are append-only'); END;
CREATE TRIGGER alert_transitions_no_delete BEFORE DELETE ON alert_transitions
BEGIN SELECT RAISE(ABORT, 'alert_transitions are append-only'); END;

-- One row per escalation level paged (level 0 = the primary at raise). UNIQUE (alert_id, level):
-- a restarted server recomputes the same schedule and skips what is here, so nobody is paged
-- twice. who = '' records that nobody was on call (itself an alarm). webhook_status is the state
-- at paging time ('' = no webhook configured, 'pending'); results are in alert_page_deliveries.
CREATE TABLE alert_pages (
  seq            INTEGER PRIMARY KEY AUTOINCREMENT,
  alert_id       INTEGER NOT NULL REFERENCES alerts(id),
  level          INTEGER NOT NULL CHECK (level >= 0),
  who            TEXT NOT NULL,
  reason         TEXT NOT NULL DEFAULT '',
  due_ms         INTEGER NOT NULL,
  sent_ms        INTEGER NOT NULL,
  channels       TEXT NOT NULL,  -- "station,webhook"
  webhook_status TEXT NOT NULL DEFAULT '' CHECK (webhook_status IN ('', 'pending')),
  UNIQUE (alert_id, level)
) STRICT;
CREATE TRIGGER alert_pages_no_update BEFORE UPDATE ON alert_pages
BEGIN SELECT RAISE(ABORT, 'alert_pages are append-only'); END;
CREATE TRIGGER alert_pages_no_delete BEFORE DELETE ON alert_pages
BEGIN SELECT RAISE(ABORT, 'alert_pages are append-only'); END;

-- How a page went out on a channel that reports back (the webhook): one row per final outcome.
CREATE TABLE alert_page_deliveries (
  seq      INTEGER PRIMARY KEY AUTOINCREMENT,
  page_seq INTEGER NOT NULL REFERENCES alert_pages(seq),
  channel  TEXT NOT NULL CHECK (length(channel) > 0),
  status   TEXT NOT NULL CHECK (status = 'delivered' OR status LIKE 'failed%'),
  attempts INTEGER NOT NULL CHECK (attempts >= 0),
  at_ms    INTEGER NOT NULL
) STRICT;
CREATE INDEX alert_page_deliveries_by_page ON alert_page_deliveries(page_seq, seq);
CREATE TRIGGER alert_page_deliveries_no_update BEFORE UPDATE ON alert_page_deliveries
BEGIN SELECT RAISE(ABORT, 'alert_page_deliveries are append-only'); END;
CREATE TRIGGER alert_page_deliveries_no_delete BEFORE DELETE ON alert_page_deliveries
BEGIN SELECT RAISE(ABORT, 'alert_page_deliveries are append-only'); END;

-- The on-call roster. Setting a roster appends a version; the latest version is in force.
CREATE TABLE oncall_roster_versions (
  version INTEGER PRIMARY KEY AUTOINCREMENT,
  set_ms  INTEGER NOT NULL,
  set_by  TEXT NOT NULL CHECK (length(set_by) > 0)
) STRICT;
CREATE TABLE oncall_shifts (
  version  INTEGER NOT NULL REFERENCES oncall_roster_versions(version),
  position INTEGER NOT NULL CHECK (position >= 0),
  start_ms INTEGER NOT NULL,
  end_ms   INTEGER NOT NULL,
  chain    TEXT NOT NULL CHECK (json_valid(chain) AND json_type(chain) = 'array'
                                AND json_array_length(chain) > 0),  -- primary first
  CHECK (end_ms > start_ms),
  PRIMARY KEY (version, position)
) STRICT;
CREATE TRIGGER oncall_roster_versions_no_update BEFORE UPDATE ON oncall_roster_versions
BEGIN SELECT RAISE(ABORT, 'roster versions are append-only'); END;
CREATE TRIGGER oncall_roster_versions_no_delete BEFORE DELETE ON oncall_roster_versions
BEGIN SELECT RAISE(ABORT, 'roster versions are append-only'); END;
CREATE TRIGGER oncall_shifts_no_update BEFORE UPDATE ON oncall_shifts
BEGIN SELECT RAISE(ABORT, 'oncall_shifts are append-only'); END;
CREATE TRIGGER oncall_shifts_no_delete BEFORE DELETE ON oncall_shifts
BEGIN SELECT RAISE(ABORT, 'oncall_shifts are append-only'); END;

-- AlertUpdate frames for carts (payload: the serialized protobuf message). Written with the
-- transition; sent when the cart's connection takes it, or right after its next HelloAck.
-- delivered_ms is the only mutable column, and only once (NULL → a time).
CREATE TABLE cart_outbox (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  device_id      TEXT NOT NULL CHECK (length(device_id) > 0),
  study_uid      TEXT NOT NULL,
  alert_id       INTEGER NOT NULL REFERENCES alerts(id),
  transition_seq INTEGER NOT NULL REFERENCES alert_transitions(seq),
  payload        BLOB NOT NULL,
  created_ms     INTEGER NOT NULL,
  delivered_ms   INTEGER
) STRICT;
CREATE INDEX cart_outbox_pending ON cart_outbox(device_id, id) WHERE delivered_ms IS NULL;
CREATE TRIGGER cart_outbox_immutable
BEFORE UPDATE OF id, device_id, study_uid, alert_id, transition_seq, payload, created_ms
ON cart_outbox
BEGIN SELECT RAISE(ABORT, 'a cart_outbox row is immutable except delivered_ms'); END;
CREATE TRIGGER cart_outbox_delivered_once BEFORE UPDATE OF delivered_ms ON cart_outbox
WHEN OLD.delivered_ms IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'a cart_outbox row is delivered once'); END;
CREATE TRIGGER cart_outbox_no_delete BEFORE DELETE ON cart_outbox
BEGIN SELECT RAISE(ABORT, 'cart_outbox rows are kept'); END;
