-- 0011: how the on-call doctor is reached (issue 15): a phone number or a WeChat Work user id,
-- set by an admin (station users page, `greenchannel user set --contact`). The alert webhook
-- carries the paged doctor's contact so an SMS / WeChat Work gateway knows whom to send to.
-- Existing accounts start without one ('').
ALTER TABLE users ADD COLUMN contact TEXT NOT NULL DEFAULT ''
  CHECK (length(contact) <= 64);
