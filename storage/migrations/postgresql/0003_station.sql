-- 0003: reading-station users and web sessions (issue 7). Passwords are kept only as slow
-- salted hashes (PBKDF2-HMAC-SHA256, ≥ 310,000 iterations, OWASP 2023); session tokens only as
-- their SHA-256, so a stolen database neither logs anyone in nor reveals a password.

CREATE TABLE users (
  username        TEXT PRIMARY KEY NOT NULL
                  CHECK (length(username) BETWEEN 1 AND 64 AND username ~ '^[A-Za-z0-9._-]+$'),
  role            TEXT NOT NULL CHECK (role IN ('cardiologist', 'coordinator', 'admin')),
  hash_algorithm  TEXT NOT NULL CHECK (hash_algorithm = 'pbkdf2-hmac-sha256'),
  password_hash   BYTEA NOT NULL CHECK (length(password_hash) = 32),
  salt            BYTEA NOT NULL CHECK (length(salt) >= 16),
  iterations      BIGINT NOT NULL CHECK (iterations >= 310000),
  created_ms      BIGINT NOT NULL,
  disabled_ms     BIGINT,
  -- Failed logins in a row (reset by a success or when a lock-out starts).
  failed_logins   BIGINT NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
  locked_until_ms BIGINT
);
CREATE TRIGGER users_no_delete BEFORE DELETE ON users
FOR EACH ROW EXECUTE FUNCTION gc_refuse('users are disabled, never deleted (the audit log names them)');

CREATE TABLE web_sessions (
  token_sha256 BYTEA PRIMARY KEY NOT NULL CHECK (length(token_sha256) = 32),
  username     TEXT NOT NULL REFERENCES users(username),
  csrf_token   TEXT NOT NULL CHECK (length(csrf_token) >= 32),
  created_ms   BIGINT NOT NULL,
  last_seen_ms BIGINT NOT NULL,
  expires_ms   BIGINT NOT NULL,  -- absolute expiry; idle expiry is last_seen_ms + the idle limit
  revoked_ms   BIGINT
);
CREATE INDEX web_sessions_by_user ON web_sessions(username, revoked_ms);
