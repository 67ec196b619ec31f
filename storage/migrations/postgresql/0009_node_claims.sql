-- 0009 (PostgreSQL): the same table as ../0009_node_claims.sql — which node posts a page's
-- webhook, as a lease that another node takes over once it runs out.
CREATE TABLE alert_page_claims (
  page_seq       BIGINT PRIMARY KEY NOT NULL REFERENCES alert_pages(seq),
  node           TEXT NOT NULL CHECK (length(node) > 0),
  claimed_ms     BIGINT NOT NULL,
  lease_until_ms BIGINT NOT NULL  -- 0: released (a clean stop), free at once
);
-- Nodes following each other's alert transitions find the cart update a transition wrote.
CREATE INDEX cart_outbox_by_transition ON cart_outbox(transition_seq);
