"""The aggregator: fans a job's per-book results in and writes its dashboard once."""
