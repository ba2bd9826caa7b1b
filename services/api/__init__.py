"""The HTTP API: readers create a job, upload their export to S3, follow it and delete it."""
