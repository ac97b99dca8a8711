-- One shard's tables: after its merge (they must be there), or when it is run again or
-- discarded (`{if_exists}`).
DROP TABLE {if_exists}{shard_work}new_objects;
DROP TABLE {if_exists}{shard_work}new_songs;
DROP TABLE {if_exists}{shard_work}new_plays;
