"""The reference inventory server (optional extra `station[server]`).

It enrols bench keys (a supervisor approves them), ingests signed step records after
checking signature, key, schema and chain continuity, keeps the raw envelopes and answers
queries (disks, devices, a bench's daily log, certificate verification, chain export).
See docs/inventory-server.md.
"""
