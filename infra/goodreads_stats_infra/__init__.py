"""The CDK constructs and stack that deploy the goodreads-stats pipeline.

Nothing here imports service or contract code: the services arrive as the zips that
`./pants package services::` builds, and the few storage names the infrastructure must agree on
are repeated in `layout.py`.
"""
