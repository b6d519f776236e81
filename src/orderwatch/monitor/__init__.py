"""Live monitoring, server side: device enrolment, batch ingestion, rules per person's order,
alerts folded into incidents, the alert workflow, notifications, retention.

Modules (imported where used, so storage can share the pure ones without an import cycle):
`alert_states` (the workflow), `batch_schema` (what agents send), `ingest` (IngestionService),
`order_cache`, `heartbeats`, `notify`, `retention`, `simulate`, `demo`, `commands`.
"""
