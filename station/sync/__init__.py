"""sync layer: the inventory client and the background pusher that drains the journal's
outbox to the inventory server, in seq order (docs/sync.md)."""
