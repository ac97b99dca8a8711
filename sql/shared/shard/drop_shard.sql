DROP TABLE {shard_work}new_objects;
DROP TABLE {shard_work}new_songs;
DROP TABLE {shard_work}new_plays;
