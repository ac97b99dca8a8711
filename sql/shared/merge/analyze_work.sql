-- Statistics of the filled work tables, before the merge plans its joins over them.
ANALYZE {work}new_objects;
ANALYZE {work}new_songs;
ANALYZE {work}new_plays;
