"""The orchestrator: turns an uploaded Goodreads export into a job and one task per book."""
