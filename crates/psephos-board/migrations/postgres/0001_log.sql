-- The bulletin board's durable, append-only log (PostgreSQL).
-- seq is 0-based and contiguous; contiguity is checked by the store inside
-- the appending transaction, uniqueness by the primary key.
CREATE TABLE log_entries (
    seq        BIGINT PRIMARY KEY CHECK (seq >= 0),
    entry_hash BYTEA  NOT NULL CHECK (octet_length(entry_hash) = 32),
    body       BYTEA  NOT NULL
);

-- Signed checkpoints, in the order they were issued (idx is 0-based).
CREATE TABLE checkpoints (
    idx       BIGINT PRIMARY KEY CHECK (idx >= 0),
    tree_size BIGINT NOT NULL CHECK (tree_size >= 0),
    body      BYTEA  NOT NULL
);

-- Small key/value settings of the board (keys, election id, ...).
CREATE TABLE meta (
    key   TEXT  PRIMARY KEY,
    value BYTEA NOT NULL
);
