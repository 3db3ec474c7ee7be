"""Xapian shards: the shard format, building and writing shards, the remote client, the sharded engine."""
