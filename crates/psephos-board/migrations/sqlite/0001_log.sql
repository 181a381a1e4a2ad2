-- The bulletin board's durable, append-only log (SQLite).
-- seq is 0-based and contiguous; contiguity is checked by the store inside
-- the appending transaction, uniqueness by the primary key.
CREATE TABLE log_entries (
    seq        INTEGER PRIMARY KEY NOT NULL CHECK (seq >= 0),
    entry_hash BLOB    NOT NULL CHECK (length(entry_hash) = 32),
    body       BLOB    NOT NULL
);

-- Signed checkpoints, in the order they were issued (idx is 0-based).
CREATE TABLE checkpoints (
    idx       INTEGER PRIMARY KEY NOT NULL CHECK (idx >= 0),
    tree_size INTEGER NOT NULL CHECK (tree_size >= 0),
    body      BLOB    NOT NULL
);

-- Small key/value settings of the board (keys, election id, ...).
CREATE TABLE meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value BLOB NOT NULL
);
