-- 0009: several `serve` nodes on one database (issue 14). Every node runs the escalation tick,
-- and a page is recorded once (alert_pages UNIQUE (alert_id, level)); its webhook is posted by
-- the node holding the page's claim. A claim is a lease: the holder renews it between retries,
-- and when it runs out (the node died or hung) another node takes the claim over and posts the
-- page itself. Claims are coordination state, not the clinical record: they change in place;
-- what was delivered stays in alert_page_deliveries.
CREATE TABLE alert_page_claims (
  page_seq       INTEGER PRIMARY KEY NOT NULL REFERENCES alert_pages(seq),
  node           TEXT NOT NULL CHECK (length(node) > 0),
  claimed_ms     INTEGER NOT NULL,
  lease_until_ms INTEGER NOT NULL  -- 0: released (a clean stop), free at once
) STRICT;
-- Nodes following each other's alert transitions find the cart update a transition wrote.
CREATE INDEX cart_outbox_by_transition ON cart_outbox(transition_seq);
