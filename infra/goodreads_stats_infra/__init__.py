"""The CDK constructs and stack that deploy the goodreads-stats pipeline.

Nothing here imports service code: the services arrive as the zips that
`./pants package services::` builds. What the infrastructure must agree on with the services and
the local runtime (storage names, tables, queues, timeouts, retention) comes from
`contracts/layout.py`, a standard-library module that both resolves share.
"""
