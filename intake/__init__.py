"""Code intake: uploads, archive safety, repository fetching, malware scanning, storage."""
